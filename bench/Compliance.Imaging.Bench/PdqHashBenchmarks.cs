using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using SkiaSharp;

namespace Compliance.Imaging.Bench;

/// <summary>
/// PDQ throughput on the bridge photo resized to each size: pixels already decoded, and PNG/JPEG bytes
/// decoded by <see cref="SafeImageDecoder"/> first. Large inputs are pre-scaled to 512×512 as the
/// reference CLI does, so 1920×1080 costs little more than 512×512 once decoded.
/// </summary>
[SimpleJob(RuntimeMoniker.Net10_0, launchCount: 1, warmupCount: 3, iterationCount: 8)]
[MemoryDiagnoser]
public class PdqHashBenchmarks
{
    private readonly SafeImageDecoder _decoder = new();
    private DecodedImage _decoded = null!;
    private byte[] _png = [];
    private byte[] _jpeg = [];

    [Params("512x512", "1920x1080")]
    public string Size { get; set; } = "512x512";

    [GlobalSetup]
    public void Setup()
    {
        var parts = Size.Split('x');
        var (width, height) = (int.Parse(parts[0]), int.Parse(parts[1]));
        using var source = SKBitmap.Decode(Path.Combine(SharedFolder.Find(), "bridge-1-original.png"));
        using var resized = source.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear));
        using var image = SKImage.FromBitmap(resized);
        _png = image.Encode(SKEncodedImageFormat.Png, 100).ToArray();
        _jpeg = image.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray();
        _decoded = _decoder.Decode(_png);
    }

    [Benchmark(Baseline = true)]
    public PdqResult HashDecodedPixels() => PdqHasher.Hash(_decoded);

    [Benchmark]
    public PdqDihedralResult HashDecodedPixelsAllEightVariants() => PdqHasher.HashDihedral(_decoded);

    [Benchmark]
    public PdqResult DecodePngAndHash() => PdqHasher.Hash(_decoder.Decode(_png));

    [Benchmark]
    public PdqResult DecodeJpegAndHash() => PdqHasher.Hash(_decoder.Decode(_jpeg));
}

internal static class SharedFolder
{
    /// <summary>../shared/pdq beside the directory holding Compliance.sln.</summary>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compliance.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "pdq"));
            }
        }

        throw new DirectoryNotFoundException("Compliance.sln not found above the benchmark's folder.");
    }
}
