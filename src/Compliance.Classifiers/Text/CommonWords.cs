namespace Compliance.Classifiers.Text;

/// <summary>
/// The 20,000 most frequent lower-case English words (wamerican-small ranked by SUBTLEX-US counts; provenance in
/// <c>Resources/common-words.txt</c> and <c>tools/text-matcher/gen_common_words.js</c>), held as skeleton hashes.
/// An alias that is one of them is ambiguous, and a fuzzy candidate that is one of them is rejected.
/// </summary>
internal static class CommonWords
{
    private static readonly HashSet<ulong> Hashes = Load();

    internal static int Count => Hashes.Count;

    internal static bool Contains(ReadOnlySpan<ushort> skeleton) => Hashes.Contains(SkeletonHash.Of(skeleton));

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

    private static HashSet<ulong> Load()
    {
        using var stream = typeof(CommonWords).Assembly.GetManifestResourceStream("Compliance.Classifiers.Text.common-words.txt")
            ?? throw new InvalidOperationException("The embedded common-word lexicon is missing.");
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
