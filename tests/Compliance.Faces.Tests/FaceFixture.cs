using Compliance.Imaging.Decoding;

namespace Compliance.Faces.Tests;

/// <summary>
/// The real models and photos, loaded once. Missing files fail the tests with the command that fetches them: a
/// face test that silently skips would hide a broken set-up.
/// </summary>
public sealed class FaceFixture : IDisposable
{
    public FaceFixture()
    {
        RepoRoot = FindRepoRoot();
        var models = Path.Combine(RepoRoot, ".data", "models", "face");
        if (!File.Exists(Path.Combine(models, "fr_detect.onnx")))
        {
            throw new InvalidOperationException($"Face models are missing from {models}: run scripts/face-models.sh.");
        }

        Pipeline = new FacePipeline(FaceModelOptions.FromDirectory(models));
    }

    public string RepoRoot { get; }

    public FacePipeline Pipeline { get; }

    public SafeImageDecoder Decoder { get; } = new();

    public string ImagePath(string name)
    {
        var path = Path.Combine(RepoRoot, ".data", "test-images", "faces", name);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"Test photo {path} is missing: run scripts/face-test-images.sh.");
        }

        return path;
    }

    public byte[] Bytes(string name) => File.ReadAllBytes(ImagePath(name));

    public DecodedImage Decode(string name) => Decoder.DecodeFile(ImagePath(name));

    public IReadOnlyList<DetectedFace> Analyze(string name) => Pipeline.Analyze(Decode(name));

    public IReadOnlyList<DetectedFace> Analyze(byte[] encoded) => Pipeline.Analyze(Decoder.Decode(encoded));

    public void Dispose() => Pipeline.Dispose();

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

[CollectionDefinition(Name)]
public sealed class FaceCollection : ICollectionFixture<FaceFixture>
{
    public const string Name = "faces";
}
