using System.Globalization;
using System.Text;
using Compliance.Classifiers.Text;
using Xunit.Abstractions;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>False positives on ordinary prompts and recall on evasions; the figures go to docs/text-matcher.md.</summary>
public sealed class CalibrationTests(ITestOutputHelper output)
{
    private static readonly string[] OrdinaryPrompts =
        [.. File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "ordinary-prompts.txt"))
            .Where(line => line.Length > 0 && line[0] != '#')];

    [Fact]
    public void OrdinaryPromptsProduceNoMatches()
    {
        Assert.True(OrdinaryPrompts.Length >= 300, $"the corpus has {OrdinaryPrompts.Length} prompts");

        var falsePositives = OrdinaryPrompts
            .SelectMany(prompt => TestCatalog.Matcher.Find(prompt).Select(m => $"{prompt} → {m.Entity.CanonicalName} ({m.MatchedText}, {m.Kind})"))
            .ToList();

        output.WriteLine($"false positives: {falsePositives.Count} in {OrdinaryPrompts.Length} prompts");
        Assert.Empty(falsePositives);
    }

    [Fact]
    public void EvasionsOfUnambiguousNamesAreFound()
    {
        var cases = EvasionCases().ToList();
        var missed = new List<string>();
        var byTechnique = new SortedDictionary<string, (int Found, int Total)>(StringComparer.Ordinal);
        foreach (var (technique, entity, evaded) in cases)
        {
            var prompt = $"a cinematic shot of {evaded} standing on a rooftop at night";
            var at = prompt.IndexOf(evaded, StringComparison.Ordinal);
            var found = TestCatalog.Matcher.Find(prompt).Any(m => m.Entity == entity && m.Start < at + evaded.Length && at < m.Start + m.Length);
            var (f, t) = byTechnique.GetValueOrDefault(technique);
            byTechnique[technique] = (f + (found ? 1 : 0), t + 1);
            if (!found)
            {
                missed.Add($"{technique}: {evaded}");
            }
        }

        var recall = (double)(cases.Count - missed.Count) / cases.Count;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recall {recall:P1} ({cases.Count - missed.Count}/{cases.Count})"));
        foreach (var (technique, (found, total)) in byTechnique)
        {
            output.WriteLine($"  {technique}: {found}/{total}");
        }

        foreach (var miss in missed)
        {
            output.WriteLine($"  missed {miss}");
        }

        Assert.True(recall >= 0.95, $"recall {recall}; missed: {string.Join(", ", missed)}");
    }

    /// <summary>Each name of the test catalog that is not a common word, written as a name (capitalised), of the test catalog under each evasion technique.</summary>
    private static IEnumerable<(string Technique, NamedEntity Entity, string Evaded)> EvasionCases()
    {
        var names = TestCatalog.All
            .SelectMany(e => new[] { e.CanonicalName }.Concat(e.Aliases).Select(a => (Entity: e, Name: a)))
            .Where(x => x.Name.Length >= 4 && !CommonWords.Contains(x.Name))
            .ToList();
        foreach (var (entity, name) in names)
        {
            yield return ("case", entity, name.ToUpperInvariant());
            yield return ("homoglyph (Cyrillic/Greek)", entity, Map(name, new Dictionary<char, char> { ['a'] = 'а', ['e'] = 'е', ['o'] = 'ο', ['p'] = 'р', ['c'] = 'с', ['x'] = 'х', ['y'] = 'у', ['i'] = 'і' }));
            yield return ("full-width", entity, string.Concat(name.Select(c => c is >= '!' and <= '~' ? (char)(c - '!' + '！') : c)));
            yield return ("leetspeak", entity, Map(name, new Dictionary<char, char> { ['a'] = '4', ['e'] = '3', ['i'] = '1', ['o'] = '0', ['s'] = '$', ['t'] = '7' }));
            yield return ("dotted", entity, string.Join('.', name.Where(c => c != ' ')));
            yield return ("spaced", entity, string.Join(' ', name.Where(c => c != ' ')));
            yield return ("zero-width", entity, string.Join('\u200B', name.Where(c => c != ' ')));
            yield return ("underscore", entity, name.Replace(' ', '_'));
            yield return ("repeated letters", entity, string.Concat(name.Select((c, i) => i % 3 == 1 && char.IsLetter(c) ? new string(c, 3) : c.ToString())));
            yield return ("diacritics", entity, Map(name, new Dictionary<char, char> { ['a'] = 'á', ['e'] = 'ë', ['o'] = 'ö', ['u'] = 'ü', ['i'] = 'ï' }));
            var letters = name.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
            if (letters.Length >= 7)
            {
                var middle = name.Length / 2;
                while (!char.IsLetter(name[middle - 1]) || !char.IsLetter(name[middle]) || !char.IsLetter(name[middle + 1]))
                {
                    middle++;
                }

                yield return ("fuzzy: deletion", entity, name.Remove(middle, 1));
                yield return ("fuzzy: transposition", entity, name[..middle] + name[middle + 1] + name[middle] + name[(middle + 2)..]);
                yield return ("fuzzy: substitution", entity, name[..middle] + (name[middle] == 'x' ? 'q' : 'x') + name[(middle + 1)..]);
                yield return ("fuzzy: insertion", entity, name.Insert(middle, "x"));
            }
        }
    }

    private static string Map(string name, Dictionary<char, char> map)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(map.TryGetValue(c, out var mapped) ? mapped : c);
        }

        return builder.ToString();
    }
}
