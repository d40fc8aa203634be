using System.Collections.Frozen;

namespace Compliance.Classifiers.Text;

/// <summary>
/// The 20,000 most frequent lower-case English words (wamerican-small ranked by SUBTLEX-US counts; provenance in
/// <c>Resources/common-words.txt</c> and <c>tools/text-matcher/gen_common_words.js</c>), held as skeleton hashes.
/// An alias that is one of them is ambiguous, and a fuzzy candidate that is one of them is rejected.
/// </summary>
internal static class CommonWords
{
    private static readonly FrozenSet<ulong> Hashes = SkeletonLexicon.Load("Compliance.Classifiers.Text.common-words.txt", "common-word").ToFrozenSet();

    internal static int Count => Hashes.Count;

    internal static bool Contains(ReadOnlySpan<ushort> skeleton) => Hashes.Contains(SkeletonHash.Of(skeleton));

    /// <summary>Whether the skeleton whose <see cref="SkeletonHash.Of"/> is <paramref name="hash"/> is a common word.</summary>
    internal static bool ContainsHash(ulong hash) => Hashes.Contains(hash);

    internal static bool Contains(string word)
    {
        var skeleton = Skeleton.Create(word);
        try
        {
            return Contains(skeleton.Span);
        }
        finally
        {
            skeleton.Return();
        }
    }
}
