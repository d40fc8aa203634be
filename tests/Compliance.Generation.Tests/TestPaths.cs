namespace Compliance.Generation.Tests;

/// <summary>Where the repository's test data lives, and a scratch folder per test that is deleted afterwards.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>A photo from <c>.data/test-images</c> (fetched by scripts/test-images.sh and scripts/face-test-images.sh).</summary>
    public static string TestImage(string relativePath)
    {
        var path = Path.Combine(RepoRoot, ".data", "test-images", relativePath);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"Test image {path} is missing: run scripts/test-images.sh and scripts/face-test-images.sh.");
    }

    public static string FaceModels
    {
        get
        {
            var models = Path.Combine(RepoRoot, ".data", "models", "face");
            return File.Exists(Path.Combine(models, "fr_detect.onnx"))
                ? models
                : throw new InvalidOperationException($"Face models are missing from {models}: run scripts/face-models.sh.");
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compliance.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Compliance.sln was not found above the test binaries.");
    }
}

/// <summary>An empty folder for one test, deleted with everything in it on dispose.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public ScratchFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"compliance-gen-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public IReadOnlyList<string> Files => [.. Directory.EnumerateFileSystemEntries(Path)];

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
