using Compliance.Classifiers.Text;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>ADR-046's distinctive words: the stemmer, what counts as distinctive, and how a window is counted.</summary>
public sealed class DescriptionTermsTests
{
    private static readonly Guid Walrus = Guid.NewGuid();

    [Theory]
    [InlineData("tails", "tail")]
    [InlineData("glowing", "glow")]
    [InlineData("stories", "story")]
    [InlineData("scorched", "scorch")]
    [InlineData("glass", "glass")]
    [InlineData("walrus", "walrus")]
    [InlineData("red", "red")]
    [InlineData("king", "king")]
    public void TheStemmerMeetsPluralsAndEndings(string word, string stem) =>
        Assert.Equal(stem, DescriptionTerms.Stem(word.ToCharArray()).ToString());

    [Fact]
    public void AWordATenthOfTheCatalogUsesIsNotDistinctive()
    {
        // Ten characters: "giant" is in all of them, "monocle" in one; at most max(1, floor(0.1 × 10)) = 1 may use a word.
        var others = Enumerable.Range(0, 9).Select(i => (Guid.NewGuid(), (IEnumerable<string>)[$"a giant robot number {i}"]));
        var terms = DescriptionTerms.Build(others.Append((Walrus, ["a giant walrus with a monocle"])));

        Assert.Equal(2, terms.CountIn(Walrus, "a giant walrus wearing a monocle"));   // walrus, monocle; not giant
        Assert.Equal(0, terms.CountIn(Walrus, "a giant robot"));
    }

    [Fact]
    public void EachDistinctiveWordCountsOnceAndFunctionWordsNever()
    {
        var terms = DescriptionTerms.Build([(Walrus, ["The walrus who commands a coral submarine, with a pipe that blows bubbles"])]);

        Assert.Equal(1, terms.CountIn(Walrus, "walrus, walruses and WALRUS"));
        Assert.Equal(0, terms.CountIn(Walrus, "the one who with that"));
        Assert.Equal(5, terms.CountIn(Walrus, "a walrus blowing bubbles from a pipe on a coral reef"));   // walrus, blow, bubble, pipe, coral
    }

    [Fact]
    public void NearDuplicateCharactersCorroborateNeitherByTheirSharedWords()
    {
        // Two characters with the same description: none of its words is distinctive, so neither is corroborated and the
        // 0.70 similarity gate (and the fusion model's fail-closed margin) decide as before ADR-046.
        var twin = Guid.NewGuid();
        var terms = DescriptionTerms.Build([(Walrus, ["a walrus with a monocle"]), (twin, ["a walrus with a monocle"])]);

        Assert.Equal(0, terms.CountIn(Walrus, "a walrus with a monocle"));
        Assert.Equal(0, terms.CountIn(twin, "a walrus with a monocle"));
    }

    [Fact]
    public void ACharacterWithoutTextsHasNoTerms()
    {
        var terms = DescriptionTerms.Build([(Walrus, ["a walrus"])]);

        Assert.Equal(0, terms.CountIn(Guid.NewGuid(), "a walrus"));
        Assert.Equal(0, DescriptionTerms.Empty.CountIn(Walrus, "a walrus"));
    }
}
