using System.Text;
using Compliance.Classifiers.Text;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>
/// ADR-040: the skeleton of "the prompt with the match cut out", spliced from the prompt's own skeleton and a fold of
/// the words around the cut, is the skeleton of the cut text, so the fusion model's context-term feature is unchanged.
/// </summary>
public sealed class FusionTextTests
{
    /// <summary>Pieces that drive every branch of the fold: spelt-out letters and runs (collapse across gaps), capitals
    /// after small letters, leetspeak symbols, punctuation and whitespace, invisible characters and combining marks,
    /// letters that fold to two symbols, astral letters and symbols, and lone surrogates.</summary>
    private static readonly string[] Pieces =
    [
        "a", "b", "r", "y", "l", "i", "1", "!", "|", "@", "$", "+", "0", "3", "A", "B", "K", "k", "R", " ", " ", " ", "  ", ".", "-",
        "_", "'", "\t", "\n", "\u200B", "\u00AD", "\u0301", "é", "Ａ", "ß", "ﬁ", "æ", "а", "в", "𝐁", "𝐚", "😀", "\uD800", "\uDC00",
        "bat", "man", "Barry", "rr", "b a r r y", "B A", "r r", "k K", "s.p.i.d.e.r", "1l!", "a a", "ab ", " ba",
    ];

    [Fact]
    public void TheSplicedCutSkeletonIsTheSkeletonOfTheCutText()
    {
        var random = new Random(40);
        var compared = 0;
        var spliced = 0;
        for (var n = 0; n < 60_000; n++)
        {
            var text = RandomText(random, n % 50 == 0 ? 400 : 1 + random.Next(40));
            var start = Boundary(text, random.Next(text.Length + 1));
            var end = Boundary(text, start + random.Next(Math.Min(12, text.Length - start) + 1));
            if (end < start)
            {
                continue;
            }

            var expected = TextNormalizer.ToSkeletonString(string.Concat(text.AsSpan(0, start), " ", text.AsSpan(end)));
            using var prompt = new FusionText(text);
            var actual = prompt.CutSkeleton(start, end, out var rented).ToString();
            System.Buffers.ArrayPool<char>.Shared.Return(rented);
            Assert.True(expected == actual, $"cut [{start}, {end}) of \"{Escape(text)}\": expected \"{expected}\", got \"{actual}\"");
            compared++;
            spliced += start > 0 && end < text.Length ? 1 : 0;
        }

        Assert.True(spliced > 30_000, $"{spliced} of {compared} cuts inside the text");
    }

    /// <summary>The splice's lemma relies on it: a letter or leetspeak symbol never folds to nothing (such a letter is
    /// classified invisible instead), so the symbol before a reset point is never compared with a later one.</summary>
    [Fact]
    public void EveryWordOrLeetCodeUnitFoldsToAtLeastOneSymbol()
    {
        Span<ushort> scratch = stackalloc ushort[4];
        for (var c = 0; c < 65536; c++)
        {
            ReadOnlySpan<char> one = [(char)c];
            _ = TextNormalizer.Classify(one, 0, scratch, out var count, out var kind);
            Assert.False(kind is TextNormalizer.CharKind.Word or TextNormalizer.CharKind.Leet && count == 0, $"U+{c:X4}");
        }
    }

    /// <summary>The fold's ASCII fast path inside a word gives every symbol, offset and flag the general path gives, on
    /// texts mixing every branch of the fold.</summary>
    [Fact]
    public void TheAsciiWordRunFoldsAsTheGeneralPath()
    {
        var random = new Random(41);
        var fastSymbols = 0;
        for (var n = 0; n < 30_000; n++)
        {
            var text = RandomText(random, n % 50 == 0 ? 400 : 1 + random.Next(40));
            var fast = Skeleton.Create(text);
            var general = Skeleton.Create(text, asciiRuns: false);
            try
            {
                var where = $"\"{Escape(text)}\"";
                Assert.True(general.Length == fast.Length, where);
                Assert.True(general.Span.SequenceEqual(fast.Span), where);
                Assert.True(general.Starts.AsSpan(0, general.Length).SequenceEqual(fast.Starts.AsSpan(0, fast.Length)), where);
                Assert.True(general.Ends.AsSpan(0, general.Length).SequenceEqual(fast.Ends.AsSpan(0, fast.Length)), where);
                Assert.True(general.Flags.AsSpan(0, general.Length).SequenceEqual(fast.Flags.AsSpan(0, fast.Length)), where);
                fastSymbols += fast.Length;
            }
            finally
            {
                fast.Return();
                general.Return();
            }
        }

        Assert.True(fastSymbols > 100_000, $"{fastSymbols} symbols compared");
    }

    [Fact]
    public void ContextTermsAreCountedOnceThePromptIsFoldedAndPerCandidateAlike()
    {
        var character = new NamedEntity(EntityTypes.Character, Guid.NewGuid(), null, "Captain Zorvaketh", ["Zorvaketh", "The Red Comet"], ["Nebula Station", "Orrin"]);
        var matcher = NameMatcher.Build([character]);
        const string Text = "C@ptain Zorvaketh docks at Nebula Station; Orrin waves. The Red Comet sleeps. z o r v a k e t h";
        using var prompt = new FusionText(Text);
        var counts = new List<int>();
        foreach (var match in matcher.FindCandidates(Text).Prepend(null))
        {
            counts.Add(FusionFeatures.CountContextTerms(prompt, character, match));
            Assert.Equal(FusionFeatures.CountContextTerms(Text, character, match), counts[^1]);
        }

        Assert.True(counts.Count > 1 && counts.All(c => c >= 3), string.Join(", ", counts));
    }

    private static string RandomText(Random random, int pieces)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < pieces; i++)
        {
            builder.Append(Pieces[random.Next(Pieces.Length)]);
        }

        return builder.ToString();
    }

    /// <summary>The nearest code-point boundary at or after <paramref name="index"/> (never inside a surrogate pair).</summary>
    private static int Boundary(string text, int index) =>
        index > 0 && index < text.Length && char.IsLowSurrogate(text[index]) && char.IsHighSurrogate(text[index - 1]) ? index + 1 : index;

    private static string Escape(string text) =>
        string.Concat(text.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString()));
}
