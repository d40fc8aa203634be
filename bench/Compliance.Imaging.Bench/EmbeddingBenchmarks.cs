using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using SkiaSharp;

namespace Compliance.Imaging.Bench;

/// <summary>
/// ResNet18 embeddings of the bridge photo: at 224×224 (the network's input, so no resize work) and at
/// 1920×1080 (a video frame, resized first), with one and two intra-op threads.
/// </summary>
[SimpleJob(RuntimeMoniker.Net10_0, launchCount: 1, warmupCount: 3, iterationCount: 10)]
[MemoryDiagnoser]
public class EmbeddingBenchmarks
{
    private VisualEmbedder _embedder = null!;
    private DecodedImage _input = null!;

    [Params("224x224", "1920x1080")]
    public string Size { get; set; } = "224x224";

    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _embedder = new VisualEmbedder(new VisualEmbedderOptions { IntraOpThreads = Threads });
        var parts = Size.Split('x');
        var (width, height) = (int.Parse(parts[0]), int.Parse(parts[1]));
        using var source = SKBitmap.Decode(Path.Combine(SharedFolder.Find(), "bridge-1-original.png"));
        using var resized = source.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear));
        using var image = SKImage.FromBitmap(resized);
        _input = new SafeImageDecoder().Decode(image.Encode(SKEncodedImageFormat.Png, 100).ToArray());
    }

    [GlobalCleanup]
    public void Cleanup() => _embedder.Dispose();

    [Benchmark]
    public float[] Embed() => _embedder.Embed(_input);
}

/// <summary>Brute-force top-10 cosine search over N random 512-d references.</summary>
[SimpleJob(RuntimeMoniker.Net10_0, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class EmbeddingIndexBenchmarks
{
    private EmbeddingIndex _index = null!;
    private float[] _query = [];

    [Params(10_000, 50_000)]
    public int References { get; set; } = 10_000;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _index = new EmbeddingIndex(VisualEmbedder.Dimension, References);
        var vector = new float[VisualEmbedder.Dimension];
        for (var id = 0; id < References; id++)
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] = random.NextSingle();
            }

            _index.Add(id, vector);
        }

        _query = [.. vector];
    }

    [GlobalCleanup]
    public void Cleanup() => _index.Dispose();

    [Benchmark]
    public IReadOnlyList<EmbeddingMatch> TopTen() => _index.TopK(_query, 10, minCosine: 0.5f);
}
