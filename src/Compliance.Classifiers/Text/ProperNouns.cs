namespace Compliance.Classifiers.Text;

/// <summary>
/// Single words that name real places and people (common English first names, countries, capitals, US states) or are
/// English words beyond the 20,000 common ones ("ember"); sources in <c>tools/text-matcher/gen_proper_nouns.js</c>,
/// held as skeleton hashes. A one-word alias that is one of them is a possible namesake: "a weekend in Paris" is not
/// about a character called Paris, nor "a glowing ember" about one called Ember.
/// </summary>
internal static class ProperNouns
{
    private static readonly HashSet<ulong> Hashes = Load();

    internal static int Count => Hashes.Count;

    internal static bool Contains(ReadOnlySpan<ushort> skeleton) => Hashes.Contains(SkeletonHash.Of(skeleton));

    private static HashSet<ulong> Load()
    {
        using var stream = typeof(ProperNouns).Assembly.GetManifestResourceStream("Compliance.Classifiers.Text.proper-nouns.txt")
            ?? throw new InvalidOperationException("The embedded proper-noun lexicon is missing.");
        using var reader = new StreamReader(stream);
        var hashes = new HashSet<ulong>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var skeleton = Skeleton.Create(line);
            try
            {
                hashes.Add(SkeletonHash.Of(skeleton.Span));
            }
            finally
            {
                skeleton.Return();
            }
        }

        return hashes;
    }
}
