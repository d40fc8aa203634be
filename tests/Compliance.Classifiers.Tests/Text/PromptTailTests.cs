using Compliance.Classifiers.Text;
using Compliance.TextFusion;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>
/// ADR-027: the cheaper fuzzy probing and the allocation-free context-term count must not change what is found or the
/// fusion model's input.
/// </summary>
public sealed class PromptTailTests
{
    private static readonly NamedEntity Quenthalorix = new(
        EntityTypes.Character, Guid.NewGuid(), null, "Quenthalorix", ["Vexmirdrathul Quen"], ["Zorvak Industries"]);

    private static readonly NameMatcher Matcher = NameMatcher.Build([Quenthalorix]);

    /// <summary>Two edits that each take a symbol out of the window, at the shortest window (12 symbols, as the name)
    /// and the longest (14) whose two-symbol deletions are still probed.</summary>
    [Theory]
    [InlineData("a statue of Quemthalorux at dawn", "Quemthalorux")] // two substitutions: window and name both 12
    [InlineData("a statue of Qxuenthalorixa at dawn", "Qxuenthalorixa")] // two insertions: window 14, name 12
    [InlineData("a statue of Quenthxalorux at dawn", "Quenthxalorux")] // an insertion and a substitution: window 13
    [InlineData("Vexmirdratul Quem waves", "Vexmirdratul Quem")] // two edits in a two-word name
    public void TwoEditsThatShortenTheWindowAreStillFound(string prompt, string matched)
    {
        var match = Assert.Single(Matcher.Find(prompt));

        Assert.Equal(matched, match.MatchedText);
        Assert.Equal(NameMatchKind.Fuzzy, match.Kind);
        Assert.Equal(2, match.EditDistance);
    }

    [Fact]
    public void ThreeEditsAreNot() => Assert.Empty(Matcher.Find("a statue of Qxemthalorux at dawn"));

    /// <summary>
    /// The context-term count computed in rented buffers equals the one the fusion model was trained on (the text with
    /// the match cut out, printed as a skeleton string, searched for each distinct term's skeleton string) for every
    /// prompt of the data set, every character, with no match and with each of the prompt's candidate matches.
    /// </summary>
    [Fact]
    public void ContextTermCountsAreThoseTheFusionModelWasTrainedOn()
    {
        var data = FusionDataSet.Load(FusionDataSet.RepositoryRoot());
        var characters = data.Characters.Select(c => c.ToEntity()).ToList();
        var matcher = NameMatcher.Build(characters);
        var compared = 0;
        var nonZero = 0;
        foreach (var prompt in data.Prompts.Select(p => p.Prompt))
        {
            var matches = matcher.FindCandidates(prompt);
            foreach (var character in characters)
            {
                foreach (var match in matches.Prepend(null).Where(m => m is null || m.Entity == character))
                {
                    var expected = PreviousCount(prompt, character, match);
                    Assert.True(expected == FusionFeatures.CountContextTerms(prompt, character, match),
                        $"{character.CanonicalName} / {match?.Alias ?? "no match"}: {prompt}");
                    compared++;
                    nonZero += expected > 0 ? 1 : 0;
                }
            }
        }

        // The data set exercises both branches: prompts with a character's terms in them and matches cut out.
        Assert.True(compared > 10_000, $"{compared} compared");
        Assert.True(nonZero > 500, $"{nonZero} non-zero counts");
    }

    /// <summary>FusionFeatures.CountContextTerms as it was before ADR-027 (the computation text-fusion/2 was trained on).</summary>
    private static int PreviousCount(string text, NamedEntity character, NameMatch? match)
    {
        var skeleton = TextNormalizer.ToSkeletonString(match is null ? text : text.Remove(match.Start, match.Length).Insert(match.Start, " "));
        var count = 0;
        foreach (var term in character.ContextTerms.Concat(character.Aliases).Append(character.CanonicalName).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var key = TextNormalizer.ToSkeletonString(term);
            if (key.Length >= 3 && skeleton.Contains(key, StringComparison.Ordinal) && (match is null || !string.Equals(term, match.Alias, StringComparison.OrdinalIgnoreCase)))
            {
                count++;
            }
        }

        return count;
    }
}
