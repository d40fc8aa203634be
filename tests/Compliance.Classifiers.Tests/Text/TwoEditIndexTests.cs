using System.Globalization;
using System.Text;
using Compliance.Classifiers.Text;
using Compliance.TextFusion;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>
/// ADR-033, ADR-040: two-edit candidates from pairs of the four pieces of each long pattern found exactly in the window
/// (<c>pieceIndex</c>) and from every two-symbol deletion of the window (the service's path, whose hashes now come from
/// the skeleton's prefix hashes) must report the same matches, with the same kinds, distances and confidences, for
/// every prompt; and the O(1) two-deletion hashes must equal the ones built from the shortened strings.
/// </summary>
public sealed class TwoEditIndexTests
{
    [Fact]
    public void TwoDeletionHashesFromPrefixesEqualTheHashesOfTheShortenedStrings()
    {
        var random = new Random(33);
        var checkedPairs = 0;
        for (var trial = 0; trial < 300; trial++)
        {
            var text = new ushort[random.Next(3, 70)];
            for (var i = 0; i < text.Length; i++)
            {
                text[i] = (ushort)random.Next(1, random.Next(2) == 0 ? 4 : 40);
            }

            var prefix = new ulong[text.Length + 1];
            var power = new ulong[text.Length + 1];
            SkeletonHash.Prefixes(text, prefix, power);
            var start = random.Next(text.Length - 2);
            var length = random.Next(2, text.Length - start + 1);
            var window = text.AsSpan(start, length);
            var shorter = new ushort[length - 1];
            var expected = new ulong[length];
            for (var k = 0; k < length; k++)
            {
                window[..k].CopyTo(shorter);
                window[(k + 1)..].CopyTo(shorter.AsSpan(k));
                SkeletonHash.OfDeletions(shorter, expected);
                for (var j = k + 1; j < length; j++)
                {
                    Assert.Equal(expected[j - 1], SkeletonHash.OfTwoDeletions(prefix, power, start, length, k, j));
                    checkedPairs++;
                }
            }
        }

        Assert.True(checkedPairs > 10_000, $"{checkedPairs} pairs");
    }

    /// <summary>ADR-040: the banded bounded distance is the full optimal-string-alignment table's value, capped at
    /// max + 1, for random strings over small and large alphabets (many near matches) and every bound 0–3.</summary>
    [Fact]
    public void TheBandedDistanceEqualsTheFullTable()
    {
        var random = new Random(40);
        for (var trial = 0; trial < 40_000; trial++)
        {
            var alphabet = random.Next(2) == 0 ? 3 : 26;
            var a = RandomSymbols(random, random.Next(0, 30), alphabet);
            var b = trial % 2 == 0 ? RandomSymbols(random, random.Next(0, 30), alphabet) : Mutate(a, random.Next(4), random, alphabet);
            var max = random.Next(4);
            Assert.Equal(Math.Min(FullOsa(a, b), max + 1), OsaDistance.Bounded(a, b, max));
        }
    }

    /// <summary>ADR-040: the bit-parallel distance of a window to a candidate is the full table's, capped at max + 1, for
    /// windows of 0–64 symbols (the full word included), small and large alphabets and symbols of other scripts.</summary>
    [Fact]
    public void TheBitParallelDistanceEqualsTheFullTable()
    {
        var random = new Random(41);
        var window = new OsaWindow();
        for (var trial = 0; trial < 40_000; trial++)
        {
            var alphabet = random.Next(3) switch { 0 => 2, 1 => 4, _ => 26 };
            var a = RandomSymbols(random, trial % 50 == 0 ? 64 : random.Next(0, 40), alphabet);
            if (trial % 7 == 0 && a.Length > 0)
            {
                a[random.Next(a.Length)] = 0x3042; // a symbol outside the Latin classes
            }

            var b = trial % 2 == 0 ? RandomSymbols(random, random.Next(0, 40), alphabet) : Mutate(a, random.Next(4), random, alphabet);
            var max = random.Next(5);
            window.Set(a);
            Assert.True(Math.Min(FullOsa(a, b), max + 1) == window.Bounded(b, max),
                $"{string.Join(",", a)} / {string.Join(",", b)} max {max}: full {FullOsa(a, b)}, bit-parallel {window.Bounded(b, max)}");
        }
    }

    private static ushort[] RandomSymbols(Random random, int length, int alphabet) =>
        [.. Enumerable.Range(0, length).Select(_ => (ushort)random.Next(1, alphabet + 1))];

    private static ushort[] Mutate(ushort[] symbols, int edits, Random random, int alphabet)
    {
        var list = symbols.ToList();
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(list.Count + 1);
            switch (random.Next(4))
            {
                case 0:
                    list.Insert(at, (ushort)random.Next(1, alphabet + 1));
                    break;
                case 1 when at < list.Count:
                    list.RemoveAt(at);
                    break;
                case 2 when at < list.Count:
                    list[at] = (ushort)random.Next(1, alphabet + 1);
                    break;
                case 3 when at + 1 < list.Count:
                    (list[at], list[at + 1]) = (list[at + 1], list[at]);
                    break;
            }
        }

        return [.. list];
    }

    /// <summary>The whole optimal-string-alignment table, no bound, no band.</summary>
    internal static int FullOsa(ushort[] a, ushort[] b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            for (var j = 0; j <= b.Length; j++)
            {
                d[i, j] = i == 0 ? j : j == 0 ? i
                    : Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    [Fact]
    public void PiecesAreDisjointNotAdjacentAndEndAtThePatternsEnds()
    {
        for (var length = NameMatcher.Pieces * 2; length <= 64; length++)
        {
            var pieces = Enumerable.Range(0, NameMatcher.Pieces).Select(p => NameMatcher.PieceOf(length, p)).ToArray();
            Assert.Equal(0, pieces[0].Start);
            for (var p = 1; p < pieces.Length; p++)
            {
                // One symbol between neighbours: one edit (a transposition takes two adjacent symbols) damages one piece.
                Assert.Equal(pieces[p - 1].Start + pieces[p - 1].Length + 1, pieces[p].Start);
            }

            Assert.Equal(length, pieces[^1].Start + pieces[^1].Length);
            Assert.True(pieces.Max(p => p.Length) - pieces.Min(p => p.Length) <= 1);
            Assert.True(pieces.Min(p => p.Length) >= 1);
        }

        // A 12-symbol name (the shortest matched two edits away): pieces of 3, 2, 2 and 2 symbols.
        Assert.Equal((0, 3), NameMatcher.PieceOf(12, 0));
        Assert.Equal((4, 2), NameMatcher.PieceOf(12, 1));
        Assert.Equal((7, 2), NameMatcher.PieceOf(12, 2));
        Assert.Equal((10, 2), NameMatcher.PieceOf(12, 3));
    }

    /// <summary>Every prompt of the text-fusion data set, with the evasions it generates, against its catalog.</summary>
    [Fact]
    public void TheDataSetsPromptsGiveTheSameMatchesAsTheDeletionIndex()
    {
        var data = FusionDataSet.Load(FusionDataSet.RepositoryRoot());
        var characters = data.Characters.Select(c => c.ToEntity()).ToList();
        var (compared, fuzzy2) = Compare(characters, data.Prompts.Select(p => p.Prompt));

        Assert.True(compared > 1_000, $"{compared} prompts compared");
        Assert.True(fuzzy2 > 0, "no two-edit match in the data set");
    }

    /// <summary>
    /// Seeded random misspellings of long and short names (insertions, deletions, substitutions, transpositions at every
    /// position, first and last letters included, one to three of them), mixed with leetspeak, look-alike letters,
    /// separators, zero-width characters and case, in sentences, against the test catalog and 2,000 synthetic characters.
    /// </summary>
    [Fact]
    public void RandomMisspellingsGiveTheSameMatchesAsTheDeletionIndex()
    {
        var catalog = TestCatalog.All.Concat(SyntheticCatalog.Generate(2_000, seed: 11)).ToList();
        var prompts = RandomMisspellings(catalog, 30_000, seed: 20261130);

        var (compared, fuzzy2) = Compare(catalog, prompts);

        Assert.Equal(30_000, compared);
        // The corpus exercises what changed: thousands of matches two edits away.
        Assert.True(fuzzy2 > 2_000, $"{fuzzy2} two-edit matches");
    }

    /// <summary>Seeded prompts naming the catalog's names with one to three random edits and one disguise, some naming two.</summary>
    internal static List<string> RandomMisspellings(IReadOnlyList<NamedEntity> catalog, int count, int seed)
    {
        var random = new Random(seed);
        var names = catalog.SelectMany(e => e.Aliases.Append(e.CanonicalName)).ToList();
        var prompts = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = Mutate(names[random.Next(names.Count)], random.Next(4), random);
            name = Obfuscate(name, random);
            var before = Openings[random.Next(Openings.Length)];
            var after = Endings[random.Next(Endings.Length)];
            var second = random.Next(5) == 0 ? " and " + Mutate(names[random.Next(names.Count)], random.Next(3), random) : "";
            prompts.Add($"{before}{name}{second}{after}");
        }

        return prompts;
    }

    private static readonly string[] Openings = ["", "a portrait of ", "Cinematic shot: ", "the hero ", "watch ", "in the rain, ", "A ", "my friend "];

    private static readonly string[] Endings = ["", " at dawn", " walks into a bar.", " and the city lights", ", 4k", " in Paris", " meets a robin"];

    private static (int Compared, int Fuzzy2) Compare(IReadOnlyList<NamedEntity> catalog, IEnumerable<string> prompts) =>
        Compare(NameMatcher.Build(catalog), NameMatcher.Build(catalog, null, pieceIndex: true), prompts);

    /// <summary>Asserts that <paramref name="pieces"/> reports what <paramref name="deletions"/> reports for every prompt.</summary>
    internal static (int Compared, int Fuzzy2) Compare(NameMatcher deletions, NameMatcher pieces, IEnumerable<string> prompts)
    {
        Assert.Equal(deletions.Version, pieces.Version);
        var compared = 0;
        var fuzzy2 = 0;
        foreach (var prompt in prompts)
        {
            var expected = deletions.FindCandidates(prompt);
            var actual = pieces.FindCandidates(prompt);
            Assert.True(Describe(expected) == Describe(actual), $"prompt: {prompt}\nexpected: {Describe(expected)}\nactual:   {Describe(actual)}");
            Assert.Equal(Describe(deletions.Find(prompt)), Describe(pieces.Find(prompt)));
            fuzzy2 += expected.Count(m => m.Kind == NameMatchKind.Fuzzy && m.EditDistance == 2);
            compared++;
        }

        return (compared, fuzzy2);
    }

    internal static string Describe(IReadOnlyList<NameMatch> matches) => string.Join(" | ", matches.Select(m => string.Create(CultureInfo.InvariantCulture,
        $"{m.Entity.Id:N} {m.Alias} {m.Start}+{m.Length} {m.Kind} d{m.EditDistance} {m.Confidence:R}")));

    private const string Letters = "abcdefghijklmnopqrstuvwxyz";

    /// <summary><paramref name="edits"/> random edits, at the first or last letter one time in three.</summary>
    private static string Mutate(string name, int edits, Random random)
    {
        var text = new StringBuilder(name);
        for (var e = 0; e < edits && text.Length > 1; e++)
        {
            var position = random.Next(3) switch
            {
                0 => 0,
                1 => text.Length - 1,
                _ => random.Next(text.Length),
            };
            var letter = Letters[random.Next(Letters.Length)];
            switch (random.Next(4))
            {
                case 0:
                    text.Insert(random.Next(2) == 0 ? position : position + 1, letter);
                    break;
                case 1:
                    text.Remove(position, 1);
                    break;
                case 2:
                    text[position] = letter;
                    break;
                default:
                    var other = position == text.Length - 1 ? position - 1 : position + 1;
                    (text[position], text[other]) = (text[other], text[position]);
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>Nothing, or one disguise: leetspeak, look-alike letters, dots, a zero-width space, upper or lower case.</summary>
    private static string Obfuscate(string name, Random random) => random.Next(8) switch
    {
        0 => name.Replace('o', '0').Replace('e', '3'),
        1 => name.Replace('a', '\u0430').Replace('e', '\u0435'),
        2 => string.Join('.', name.ToCharArray()),
        3 => name.Length > 2 ? name.Insert(name.Length / 2, "\u200B") : name,
        4 => name.ToUpperInvariant(),
        5 => name.ToLowerInvariant(),
        6 => name.Replace('a', '@').Replace('s', '$'),
        _ => name,
    };
}
