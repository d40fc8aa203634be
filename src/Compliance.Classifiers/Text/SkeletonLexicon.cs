namespace Compliance.Classifiers.Text;

/// <summary>An embedded word list (one entry a line, <c>#</c> comments) read as the skeleton hashes the matcher compares.</summary>
internal static class SkeletonLexicon
{
    public static HashSet<ulong> Load(string resource, string what)
    {
        using var stream = typeof(SkeletonLexicon).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded {what} lexicon is missing.");
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
