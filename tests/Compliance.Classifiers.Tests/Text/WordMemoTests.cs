using Compliance.Classifiers.Text;
using Compliance.TextFusion;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>
/// ADR-053: the word filters' answers are remembered per prompt word, and windows that gave no match per window.
/// Remembered answers must be the answers: a matcher that remembers finds exactly what one that asks every time finds,
/// cold or warm, on one thread or many.
/// </summary>
public sealed class WordMemoTests
{
    [Fact]
    public void AMatcherThatRemembersWordsFindsWhatOneThatAsksEveryTimeFinds()
    {
        var data = FusionDataSet.Load(FusionDataSet.RepositoryRoot());
        var catalog = TestCatalog.All.Concat(data.Characters.Select(c => c.ToEntity())).Concat(SyntheticCatalog.Generate(2_000, seed: 11)).ToList();
        var prompts = TwoEditIndexTests.RandomMisspellings(catalog, 20_000, seed: 20261202)
            .Concat(data.Prompts.Select(p => p.Prompt))
            .ToList();
        var asking = NameMatcher.Build(catalog, null, pieceIndex: false, wordBounds: true, memoizeWords: false);
        var remembering = NameMatcher.Build(catalog);
        Assert.Equal(asking.Version, remembering.Version);
        var expected = prompts.Select(p => TwoEditIndexTests.Describe(asking.FindCandidates(p))).ToArray();

        // Cold (every word new), warm (every word asked before), and two threads racing on the same slots.
        var cold = prompts.Select(p => TwoEditIndexTests.Describe(remembering.FindCandidates(p))).ToArray();
        var warm = prompts.Select(p => TwoEditIndexTests.Describe(remembering.FindCandidates(p))).ToArray();
        var raced = new string[prompts.Count];
        var fresh = NameMatcher.Build(catalog);
        Parallel.For(0, prompts.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => raced[i] = TwoEditIndexTests.Describe(fresh.FindCandidates(prompts[i])));

        Assert.Contains(expected, e => e.Length > 0);
        for (var i = 0; i < prompts.Count; i++)
        {
            Assert.True(expected[i] == cold[i] && expected[i] == warm[i] && expected[i] == raced[i],
                $"prompt: {prompts[i]}\n  asking: {expected[i]}\n  cold: {cold[i]}\n  warm: {warm[i]}\n  raced: {raced[i]}");
        }
    }

    [Fact]
    public void ASlotAnswersOnlyForTheVeryHashThatFilledIt()
    {
        var memo = new WordMemo();
        const ulong word = 0x9E3779B97F4A7C15;

        Assert.Equal(-1, memo.Get(word, WordMemo.NearOne));
        memo.Set(word, WordMemo.NearOne, true);
        memo.Set(word, WordMemo.OnePart, false);
        Assert.Equal(1, memo.Get(word, WordMemo.NearOne));
        Assert.Equal(0, memo.Get(word, WordMemo.OnePart));
        Assert.Equal(-1, memo.Get(word, WordMemo.AliasWord));

        // The same slot (same low bits) with other high bits is another word: unknown, and it evicts the first.
        const ulong sameSlot = word ^ (1UL << 40);
        Assert.Equal(-1, memo.Get(sameSlot, WordMemo.NearOne));
        // A hash that differs only in its low bits lives in another slot.
        Assert.Equal(-1, memo.Get(word ^ 1, WordMemo.NearOne));
        memo.Set(sameSlot, WordMemo.NearOne, false);
        Assert.Equal(0, memo.Get(sameSlot, WordMemo.NearOne));
        Assert.Equal(-1, memo.Get(word, WordMemo.NearOne));

        // An answer can be set again to the other value (a later, equal answer overwrites; never two at once).
        memo.Set(sameSlot, WordMemo.NearOne, true);
        Assert.Equal(1, memo.Get(sameSlot, WordMemo.NearOne));
    }
}
