using System.Globalization;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Tests;

/// <summary>The reference test vectors in <c>../shared/pdq</c>, beside the repository root.</summary>
internal static class SharedPdqVectors
{
    private static readonly Lazy<string> LazyFolder = new(FindFolder);
    private static readonly Lazy<IReadOnlyList<ExpectedPdq>> LazyRows = new(ReadRows);

    public static string Folder => LazyFolder.Value;

    public static IReadOnlyList<ExpectedPdq> Rows => LazyRows.Value;

    public static string PathOf(string file) => Path.Combine(Folder, file);

    public static ExpectedPdq Row(string file) => Rows.Single(r => r.File == file);

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compliance.sln")))
            {
                var folder = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "pdq"));
                return Directory.Exists(folder)
                    ? folder
                    : throw new DirectoryNotFoundException($"PDQ test vectors not found at {folder}.");
            }
        }

        throw new DirectoryNotFoundException($"No Compliance.sln above {AppContext.BaseDirectory}.");
    }

    private static IReadOnlyList<ExpectedPdq> ReadRows() =>
        File.ReadLines(Path.Combine(Folder, "expected.csv"))
            .Skip(1)
            .Where(line => !string.IsNullOrWhiteSpace(line))
            .Select(line => line.Split(','))
            .Select(f => new ExpectedPdq(
                f[0],
                PdqHash.Parse(f[1]),
                int.Parse(f[2], CultureInfo.InvariantCulture),
                int.Parse(f[3], CultureInfo.InvariantCulture)))
            .ToList();
}

public sealed record ExpectedPdq(string File, PdqHash Hash, int Quality, int MaxHammingDistance)
{
    public override string ToString() => File;
}
