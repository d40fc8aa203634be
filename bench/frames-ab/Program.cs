using System.Diagnostics;
using System.Globalization;
using Compliance.Classifiers;
using Compliance.Classifiers.Images;
using Compliance.Faces;
using Compliance.Generation.Frames;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;
using Compliance.Policies.Model;

// One round of bench/frames-ab/run.sh: the sampled frames of each video (decoded by ffmpeg once, outside the measurement)
// go through the frame gate's image classifiers (PDQ reference match, ResNet18 embedding match, face detection and
// matching against banks of 1,000) one frame after another, after three warm-up passes over every video; the process's CPU time over the
// measured passes gives frames per CPU-second. Prints one tab-separated line per video.
// Usage: Compliance.Frames.Ab <face-model-dir> <passes> [--published-face-models] <video>...
//        Compliance.Frames.Ab --dump <face-model-dir> <image-or-folder>...   (faces and ResNet18 embeddings, to compare builds)
if (args is ["--dump", var dumpModels, .. var inputs])
{
    Dump(dumpModels, inputs);
    return 0;
}

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Compliance.Frames.Ab <face-model-dir> <passes> [--published-face-models] <video>...");
    return 2;
}

var modelDirectory = args[0];
var passes = int.Parse(args[1], CultureInfo.InvariantCulture);
const int WarmUpPasses = 3;
var published = args.Contains("--published-face-models");
var videos = args.Skip(2).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();

var bank = new Bank();
var random = new Random(7);
for (var i = 0; i < 1_000; i++)
{
    bank.PdqIndex.Add(i, new PdqHash((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64()));
    bank.Embeddings.Add(i, Enumerable.Range(0, VisualEmbedder.DihedralCount).Select(_ => RandomUnit(random, VisualEmbedder.Dimension)).ToArray());
    bank.FaceIndex.Add(i, RandomUnit(random, 512));
}

using var embedder = new VisualEmbedder();
using var faces = new FacePipeline(FaceModelOptions.FromDirectory(modelDirectory) with { ZeroSubnormalWeights = !published });
IImageClassifier[] classifiers = [new ReferencePdqClassifier(bank), new ReferenceEmbeddingClassifier(bank, embedder), new FaceMatchClassifier(bank, faces)];
var sampler = new FrameSampler(new FrameSamplerOptions());

// Every video is decoded and screened (warm-up passes) before any is measured: the code reaches its final JIT tier on
// all of them first, so the first video's figure does not carry tier-0 code and the JIT's own CPU (ADR-045).
var decoded = new List<(string Video, DecodedImage[] Frames, int Signals)>();
foreach (var video in videos)
{
    var sampled = await sampler.SampleAsync(video, CancellationToken.None);
    decoded.Add((video, sampled.Frames.Select(f => RgbWidening.ToRgba(f.Rgb24.Span, f.Width, f.Height, f.Stride)).ToArray(), 0));
}

for (var warm = 0; warm < WarmUpPasses; warm++)
{
    for (var i = 0; i < decoded.Count; i++)
    {
        decoded[i] = decoded[i] with { Signals = await ScreenAll(decoded[i].Frames) };
    }
}

foreach (var (video, frames, signals) in decoded)
{
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    for (var pass = 0; pass < passes; pass++)
    {
        await ScreenAll(frames);
    }

    var seconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{Path.GetFileNameWithoutExtension(video)}\t{frames.Length}\t{seconds / passes:F3}\t{frames.Length * passes / seconds:F2}\t{signals}"));
}

return 0;

async Task<int> ScreenAll(DecodedImage[] frames)
{
    var count = 0;
    foreach (var frame in frames)
    {
        var found = await ClassifierGuard.RunAllAsync(classifiers, frame, TimeSpan.FromSeconds(60), null, CancellationToken.None);
        count += found.Count(s => s.Kind == SignalKinds.ClassifierError) * 1000 + found.Count;
    }

    return count;
}

static void Dump(string modelDirectory, string[] inputs)
{
    using var embedder = new VisualEmbedder();
    using var faces = new FacePipeline(FaceModelOptions.FromDirectory(modelDirectory));
    var decoder = new SafeImageDecoder();
    var files = inputs.SelectMany(i => Directory.Exists(i) ? Directory.EnumerateFiles(i) : [i])
        .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
        .Order(StringComparer.Ordinal);
    string Csv(ReadOnlySpan<float> v) => string.Join(',', v.ToArray().Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
    foreach (var file in files)
    {
        DecodedImage image;
        try
        {
            image = decoder.DecodeFile(file);
        }
        catch (ImageRejectedException)
        {
            continue; // the test set's deliberately broken files
        }

        var name = Path.GetFileName(Path.GetDirectoryName(file)) + "/" + Path.GetFileName(file);
        Console.WriteLine($"resnet\t{name}\t{Csv(embedder.Embed(image))}");
        var found = faces.Analyze(image);
        for (var i = 0; i < found.Count; i++)
        {
            var f = found[i];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"face\t{name}#{i}\t{f.Box.X:F1},{f.Box.Y:F1},{f.Box.Width:F1},{f.Box.Height:F1}\t{f.DetectionScore:F4}\t{f.SpoofScore:F4}\t{Csv(f.Embedding)}"));
        }
    }
}

static float[] RandomUnit(Random random, int dimension)
{
    var v = new float[dimension];
    for (var i = 0; i < dimension; i++)
    {
        v[i] = (float)((random.NextDouble() * 2) - 1);
    }

    var norm = MathF.Sqrt(v.Sum(x => x * x));
    return v.Select(x => x / norm).ToArray();
}

internal sealed class Bank : IReferenceBank, IFaceBank
{
    public long Version => 1;

    public IPdqIndex PdqIndex { get; } = new PdqIndex();

    public EmbeddingIndex Embeddings { get; } = new(VisualEmbedder.Dimension, VisualEmbedder.DihedralCount);

    public Compliance.Imaging.LocalFeatures.LocalFeatureIndex LocalFeatures { get; } = new();

    FaceSearchIndex IFaceBank.Index => FaceIndex;

    public FaceSearchIndex FaceIndex { get; } = new(512);

    public bool TryGet(long id, out ReferenceEntry entry)
    {
        entry = new ReferenceEntry(id, Guid.Empty, Guid.Empty, Guid.Empty, "bench", default);
        return true;
    }

    public bool TryGet(long id, out EnrolledFace face)
    {
        face = new EnrolledFace(id, Guid.Empty, Guid.Empty, "bench");
        return true;
    }
}
