namespace Compliance.Classifiers.Text;

/// <summary>
/// Single words that name real places and people (common English first names, countries, capitals, US states) or are
/// English words beyond the 20,000 common ones ("ember"); sources in <c>tools/text-matcher/gen_proper_nouns.js</c>,
/// held as skeleton hashes. A one-word alias that is one of them is a possible namesake: "a weekend in Paris" is not
/// about a character called Paris, nor "a glowing ember" about one called Ember.
/// </summary>
internal static class ProperNouns
{
    private static readonly HashSet<ulong> Hashes = SkeletonLexicon.Load("Compliance.Classifiers.Text.proper-nouns.txt", "proper-noun");

    internal static int Count => Hashes.Count;

    internal static bool Contains(ReadOnlySpan<ushort> skeleton) => Hashes.Contains(SkeletonHash.Of(skeleton));
}
