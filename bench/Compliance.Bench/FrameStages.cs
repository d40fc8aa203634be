using System.Globalization;
using Compliance.Classifiers.Images;
using Compliance.Faces;
using Compliance.Generation.Frames;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;
using SkiaSharp;

namespace Compliance.Bench;

/// <summary>
/// Where a sampled frame's CPU goes (<c>--frame-stages</c>): the frame-screening bench's two videos are sampled once,
/// then each stage of the three frame classifiers runs over their frames on this thread, timed by this thread's CPU
/// clock (CLOCK_THREAD_CPUTIME_ID), so other processes on the machine do not count. Each stage: five rounds over the
/// video's frames after one warm-up round, the round with the least CPU reported, as milliseconds per frame.
/// </summary>
internal static partial class FrameStages
{
    private const int Rounds = 5;

    internal static async Task RunAsync(string repoRoot)
    {
        var bank = FrameScreening.BuildBank(localFeatures: false);
        using var embedder = new VisualEmbedder();
        using var floatEmbedder = new VisualEmbedder(new VisualEmbedderOptions { Int8 = false });
        var faceModels = FaceModelOptions.FromDirectory(Path.Combine(repoRoot, ".data", "models", "face"));
        using var faces = new FacePipeline(faceModels);
        using var publishedFaces = new FacePipeline(faceModels with { ZeroSubnormalWeights = false });
        var pdq = new ReferencePdqClassifier(bank);
        var embedding = new ReferenceEmbeddingClassifier(bank, embedder);
        var faceMatch = new FaceMatchClassifier(bank, faces);
        var sampler = new FrameSampler(new FrameSamplerOptions());
        var folder = Directory.CreateTempSubdirectory("frame-stages-").FullName;
        try
        {
            // Every stage's code is jitted to its final tier before anything is timed (the first video's rows otherwise
            // carry tier-0 code: ADR-045).
            var videos = FrameScreening.MakeVideos(repoRoot, folder).ToList();
            foreach (var (_, path) in videos)
            {
                var sampled = await sampler.SampleAsync(path, CancellationToken.None);
                foreach (var f in sampled.Frames.Select(f => RgbWidening.ToRgba(f.Rgb24.Span, f.Width, f.Height, f.Stride)))
                {
                    for (var i = 0; i < 40; i++)
                    {
                        var fresh = new DecodedImage(f.Pixels, f.Width, f.Height, f.RowBytes, f.Format);
                        pdq.ClassifyAsync(fresh, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                        embedding.ClassifyAsync(fresh, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                        faceMatch.ClassifyAsync(fresh, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                        PdqHasher.HashDihedral(fresh);
                        BorderTrimmer.Crop(fresh, BorderTrimmer.FindContent(fresh));
                        floatEmbedder.Embed(fresh);
                    }

                    break;
                }
            }

            Console.WriteLine("| video | stage | CPU ms per frame |");
            Console.WriteLine("|---|---|---:|");
            foreach (var (name, path) in videos)
            {
                var sampled = await sampler.SampleAsync(path, CancellationToken.None);
                // As FrameScreener hands them to the classifiers: widened to RGBA.
                var frames = sampled.Frames.Select(f => RgbWidening.ToRgba(f.Rgb24.Span, f.Width, f.Height, f.Stride)).ToArray();
                void Row(string stage, Action<DecodedImage> work) =>
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {stage} | {Time(frames, work):F2} |"));

                var packed = sampled.Frames[0];
                Row("frame copy, packed RGB (the screener's copy before)", _ => packed.Rgb24.ToArray());
                Row("frame copy widened to RGBA (the screener's copy now)", _ => RgbWidening.ToRgba(packed.Rgb24.Span, packed.Width, packed.Height, packed.Stride));
                Row("border trim: find content", f => BorderTrimmer.FindContent(f));
                Row("border trim: find content + crop", f => BorderTrimmer.Crop(f, BorderTrimmer.FindContent(f)));
                Row("PDQ: 8 dihedral hashes of the frame", f => PdqHasher.HashDihedral(f));
                Row("PDQ classifier (trim + hashes + lookups)", f => pdq.ClassifyAsync(f, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                Row("ResNet18: area resize to 224² + planes (ADR-038)", f => VisualEmbedder.FillRgbPlanes(f, new float[3 * VisualEmbedder.InputSize * VisualEmbedder.InputSize]));
                Row("Skia: stretch a fresh SKImage to 224² (mipmaps built)", f => Stretch(f, 1, mipmaps: true));
                Row("Skia: stretch one SKImage to 224² twice", f => Stretch(f, 2, mipmaps: true));
                Row("Skia: stretch a fresh SKImage to 224², no mipmaps", f => Stretch(f, 1, mipmaps: false));
                Console.WriteLine($"| {name} | frames with borders trimmed (PDQ hashes them twice) | {frames.Count(f => BorderTrimmer.Trim(f).Trimmed)} of {frames.Length} |");
                Row("ResNet18: embed, float model (resize + preprocess + model)", f => floatEmbedder.Embed(f));
                Row("ResNet18: embed, int8 model (ADR-045)", f => embedder.Embed(f));
                Row("embedding classifier (trim + embed + top-k)", f => embedding.ClassifyAsync(f, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                Row("faces: frame to SKImage (pinned; RGB widened first)", f => FaceRaster.Pin(f).Dispose());
                Row("faces: analyse (models as published)", f => publishedFaces.Analyze(f));
                Row("faces: analyse", f => faces.Analyze(f));
                Row("face classifier (analyse + search)", f => faceMatch.ClassifyAsync(f, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                Row("all three classifiers, one after another", f =>
                {
                    pdq.ClassifyAsync(f, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    embedding.ClassifyAsync(f, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    faceMatch.ClassifyAsync(f, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                });
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    private static double Time(DecodedImage[] frames, Action<DecodedImage> work)
    {
        // Each call gets a fresh image over the same pixels, so nothing an image keeps (its trim) carries over.
        static DecodedImage Fresh(DecodedImage f) => new(f.Pixels, f.Width, f.Height, f.RowBytes, f.Format);
        foreach (var frame in frames)
        {
            work(Fresh(frame));
        }

        var best = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var start = ThreadCpu.Now();
            foreach (var frame in frames)
            {
                work(Fresh(frame));
            }

            best = Math.Min(best, (ThreadCpu.Now() - start) / 1e6 / frames.Length);
        }

        return best;
    }

    private static void Stretch(DecodedImage frame, int times, bool mipmaps)
    {
        using var image = FaceRaster.Pin(frame);
        using var target = new SKBitmap(new SKImageInfo(VisualEmbedder.InputSize, VisualEmbedder.InputSize, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var pixmap = target.PeekPixels();
        for (var i = 0; i < times; i++)
        {
            image.Image.ScalePixels(pixmap, new SKSamplingOptions(SKFilterMode.Linear, mipmaps ? SKMipmapMode.Linear : SKMipmapMode.None));
        }
    }
}
