using BenchmarkDotNet.Attributes;
using Compliance.Imaging.Decoding;

namespace Compliance.Faces.Bench;

/// <summary>
/// One face through the whole pipeline (detect, 68 landmarks, align, embed, and the liveness crop) on astronaut.png,
/// ONNX Runtime limited to one intra-op thread: the mean is the time per face per core. <see cref="ZeroSubnormalWeights"/>
/// false is the baseline: the model files exactly as published.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class PipelineBenchmarks
{
    private FacePipeline _pipeline = null!;
    private DecodedImage _image = null!;

    [Params(false, true)]
    public bool ZeroSubnormalWeights { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        var options = FaceModelOptions.FromDirectory(Path.Combine(RepoPaths.Root, ".data", "models", "face")) with { IntraOpThreads = 1, ZeroSubnormalWeights = ZeroSubnormalWeights };
        _pipeline = new FacePipeline(options);
        _image = new SafeImageDecoder().DecodeFile(Path.Combine(RepoPaths.Root, ".data", "test-images", "faces", "astronaut.png"));
    }

    [GlobalCleanup]
    public void CleanUp() => _pipeline.Dispose();

    [Benchmark]
    public int AnalyzeAstronaut() => _pipeline.Analyze(_image).Count;
}
