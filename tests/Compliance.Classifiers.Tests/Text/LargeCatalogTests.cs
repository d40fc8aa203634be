using Compliance.Classifiers.Text;

namespace Compliance.Classifiers.Tests.Text;

public sealed class LargeCatalogTests
{
    private static readonly IReadOnlyList<NamedEntity> Entities = SyntheticCatalog.Generate(100_000);
    private static readonly NameMatcher Matcher = NameMatcher.Build(Entities);

    [Fact]
    public void HundredThousandEntitiesWithFiveNamesEachStillMatchCorrectly()
    {
        Assert.Equal(100_000, Matcher.EntityCount);
        Assert.True(Matcher.PatternCount > 400_000, $"{Matcher.PatternCount} patterns");

        foreach (var index in new[] { 0, 1, 31_337, 50_000, 99_999 })
        {
            var entity = Entities[index];
            var secretName = entity.Aliases[0];
            var leet = secretName.Replace('o', '0').Replace('a', '@');
            var typo = secretName.Remove(secretName.Length - 2, 1);
            var text = $"A poster of {entity.CanonicalName}. Later {leet} walks in; someone whispers \"{typo}\" twice.";

            var matches = Matcher.Find(text).Where(m => m.Entity == entity).ToList();

            Assert.Contains(matches, m => m.MatchedText == entity.CanonicalName && m.Kind == NameMatchKind.Exact);
            Assert.Contains(matches, m => m.MatchedText == leet && m.Kind is NameMatchKind.Obfuscated or NameMatchKind.Exact);
            Assert.Contains(matches, m => m.MatchedText == typo && m.Kind == NameMatchKind.Fuzzy);
        }
    }

    [Fact]
    public void OrdinaryPromptsStayQuietAgainstALargeCatalog()
    {
        var prompts = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "ordinary-prompts.txt"))
            .Where(line => line.Length > 0 && line[0] != '#');

        var hits = prompts.SelectMany(p => Matcher.Find(p).Select(m => $"{p} → {m.MatchedText} ({m.Alias})")).ToList();

        Assert.Empty(hits);
    }
}
