using System.Diagnostics;
using System.Globalization;
using Compliance.Classifiers.Images;
using Compliance.Faces;
using Compliance.Generation.Frames;
using Compliance.ImageEvaluation;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;

namespace Compliance.Bench;

/// <summary>
/// Frames screened per second for a 10-second 720p video: ffmpeg sampling (1 fps + scene changes) and,
/// on every sampled frame, the image classifiers the frame gate runs (PDQ reference match,
/// ResNet18 embedding match, face detection + matching, and then with local features added), against banks of 1,000 references and
/// 1,000 enrolled faces (the references' ORB keypoints are real: the 32 evaluation references and 968 distractors,
/// ADR-025), through <see cref="FrameScreener"/> (frames screened in parallel, one per core, while ffmpeg decodes). Sampling alone is measured in the same run as the baseline.
/// </summary>
internal static class FrameScreening
{
    internal sealed class Bank : IReferenceBank, IFaceBank
    {
        public long Version => 1;

        public IPdqIndex PdqIndex { get; } = new PdqIndex();

        public EmbeddingIndex Embeddings { get; } = new(VisualEmbedder.Dimension, VisualEmbedder.DihedralCount);

        public LocalFeatureIndex LocalFeatures { get; } = new(LocalFeatureSearch.Indexed);

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

    internal static async Task RunAsync(string repoRoot)
    {
        var bank = BuildBank(localFeatures: true);
        using var embedder = new VisualEmbedder();
        using var faces = new FacePipeline(FaceModelOptions.FromDirectory(Path.Combine(repoRoot, ".data", "models", "face")));
        using var publishedFaces = new FacePipeline(FaceModelOptions.FromDirectory(Path.Combine(repoRoot, ".data", "models", "face")) with { ZeroSubnormalWeights = false });
        IImageClassifier[] classifiers = [new ReferencePdqClassifier(bank), new ReferenceEmbeddingClassifier(bank, embedder), new FaceMatchClassifier(bank, faces)];
        IImageClassifier[] published = [new ReferencePdqClassifier(bank), new ReferenceEmbeddingClassifier(bank, embedder), new FaceMatchClassifier(bank, publishedFaces)];
        IImageClassifier[] withLocal = [.. classifiers, new ReferenceLocalFeatureClassifier(bank)];
        var sampler = new FrameSampler(new FrameSamplerOptions());
        var folder = Directory.CreateTempSubdirectory("frame-bench-").FullName;
        try
        {
            var videos = MakeVideos(repoRoot, folder);
            Console.WriteLine("| video (10 s, 1280×720, 30 fps) | what | frames | seconds | frames/s | CPU s (this process) | frames per CPU s |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
            foreach (var (name, path) in videos)
            {
                await Measure(sampler, path, name, "sampling only (baseline)", []);
                await Measure(sampler, path, name, "sampling + PDQ + embedding + faces, face models as published (baseline)", published);
                await Measure(sampler, path, name, "sampling + PDQ + embedding + faces", classifiers);
                await Measure(sampler, path, name, "sampling + PDQ + embedding + faces + local features (1,000 references × ≤ 500 keypoints), indexed", withLocal);
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    /// <summary>Banks of 1,000 random PDQ hashes, embeddings (8 variants each) and faces; with real ORB keypoints when asked.</summary>
    internal static Bank BuildBank(bool localFeatures)
    {
        var bank = new Bank();
        var random = new Random(7);
        var keypoints = new List<(long, LocalFeatureSet)>();
        for (var i = 0; i < 1_000; i++)
        {
            bank.PdqIndex.Add(i, new PdqHash((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64()));
            bank.Embeddings.Add(i, Enumerable.Range(0, VisualEmbedder.DihedralCount).Select(_ => RandomUnit(random, VisualEmbedder.Dimension)).ToArray());
            bank.FaceIndex.Add(i, RandomUnit(random, 512));
            if (localFeatures)
            {
                keypoints.Add((i, LocalKeypoints(i)));
            }
        }

        bank.LocalFeatures.AddRange(keypoints);
        return bank;
    }

    /// <summary>The two 10-second 1280×720 30 fps H.264 videos: a moving test pattern, and a still portrait with one face.</summary>
    internal static (string Name, string Path)[] MakeVideos(string repoRoot, string folder)
    {
        var pattern = Path.Combine(folder, "pattern.mp4");
        Ffmpeg("-f", "lavfi", "-t", "10", "-i", "testsrc2=size=1280x720:rate=30", "-pix_fmt", "yuv420p", "-c:v", "libx264", pattern);
        var face = Path.Combine(folder, "face.mp4");
        Ffmpeg("-loop", "1", "-t", "10", "-framerate", "30", "-i", Path.Combine(repoRoot, ".data", "test-images", "faces", "astronaut.png"),
            "-vf", "scale=1280:720,setsar=1,format=yuv420p", "-c:v", "libx264", face);
        return [("test pattern (no faces)", pattern), ("portrait (one face)", face)];
    }

    private static async Task Measure(FrameSampler sampler, string path, string video, string what, IImageClassifier[] classifiers)
    {
        var best = double.MaxValue;
        var bestCpu = double.MaxValue;
        var frames = 0;
        var screener = new FrameScreener(sampler, classifiers);
        for (var run = 0; run < 3; run++)
        {
            // CPU of this process only: ffmpeg decodes in a child process, so the sampling-only row is the in-process floor.
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var screened = await screener.ScreenAsync(path, TimeSpan.FromSeconds(30), null, CancellationToken.None);
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
            bestCpu = Math.Min(bestCpu, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
            frames = screened.Summary.FrameCount;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {video} | {what} | {frames} | {best:F2} | {frames / best:F1} | {bestCpu:F2} | {frames / bestCpu:F1} |"));
    }

    /// <summary>Real ORB keypoints: the 32 evaluation references, then distractors (an index is only as fast as the descriptors it meets).</summary>
    private static LocalFeatureSet LocalKeypoints(int i)
    {
        string[] real = [.. TestImages.References, .. TestImages.HeldOut];
        return i < real.Length
            ? LocalFeatureExtractor.DescribeReference(BorderTrimmer.Trim(new SafeImageDecoder().DecodeFile(TestImages.PathOf(real[i]))).Image)
            : Distractors.Features(i - real.Length);
    }

    private static float[] RandomUnit(Random random, int dimension)
    {
        var v = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static void Ffmpeg(params string[] args)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in new[] { "-hide_banner", "-nostdin", "-y", "-loglevel", "error" }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException("ffmpeg failed: " + err);
        }
    }
}
