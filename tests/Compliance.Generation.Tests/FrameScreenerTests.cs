using Compliance.Classifiers.Images;
using Compliance.Generation.Frames;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;
using Compliance.Policies.Model;

namespace Compliance.Generation.Tests;

public sealed class FrameScreenerTests
{
    private sealed class OneReference : IReferenceBank
    {
        public OneReference(PdqHash hash) => PdqIndex.Add(1, hash);

        public long Version => 1;

        public IPdqIndex PdqIndex { get; } = new PdqIndex();

        public EmbeddingIndex Embeddings { get; } = new(VisualEmbedder.Dimension);

        public LocalFeatureIndex LocalFeatures { get; } = new();

        public bool TryGet(long id, out ReferenceEntry entry)
        {
            entry = new ReferenceEntry(id, Guid.Empty, Guid.Parse("00000000-0000-0000-0000-000000000042"), Guid.Empty, "Bridge", default);
            return true;
        }
    }

    private sealed class Exploding : IImageClassifier
    {
        public string Name => "exploding";

        public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(DecodedImage image, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("boom");
    }

    private static string SharedPdq(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compliance.sln")))
            {
                return Path.Combine(dir.FullName, "..", "shared", "pdq", name);
            }
        }

        throw new InvalidOperationException("Compliance.sln not found");
    }

    [Fact]
    public async Task EveryFrameIsScreenedAndSignalsCarryTheirFrameAndAreCondensedPerEntity()
    {
        var image = SharedPdq("bridge-1-original.png");
        var bank = new OneReference(PdqHasher.Hash(new SafeImageDecoder().DecodeFile(image)).Hash);
        var folder = Directory.CreateTempSubdirectory("screener-");
        try
        {
            var video = Path.Combine(folder.FullName, "still.mp4");
            await TestVideos.RunFfmpegAsync("-loop", "1", "-t", "8", "-framerate", "10", "-i", image, "-vf", "scale=640:-2,format=yuv420p", "-c:v", "libx264", video);
            var screener = new FrameScreener(new FrameSampler(new FrameSamplerOptions()), [new ReferencePdqClassifier(bank), new Exploding()]);

            var screened = await screener.ScreenAsync(video, TimeSpan.FromSeconds(10), null, CancellationToken.None);

            Assert.InRange(screened.Summary.FrameCount, 7, 9);
            var matches = screened.Signals.Where(s => s.Kind == SignalKinds.LicensedCharacter).ToList();
            Assert.Equal(FrameScreener.FramesPerEntity, matches.Count);
            Assert.All(matches, m => Assert.NotNull(m.Evidence.FrameIndex));
            Assert.Equal(matches.Count, matches.Select(m => m.Evidence.FrameIndex).Distinct().Count());
            var error = Assert.Single(screened.Signals, s => s.Kind == SignalKinds.ClassifierError);
            Assert.Equal("exploding", error.Classifier);
            // A classifier that failed on every frame screened none of them: the whole video is unscreened.
            var coverage = Assert.Single(screened.Signals, s => s.Kind == SignalKinds.CoverageIncomplete);
            Assert.Equal(1.0, coverage.Score, precision: 3);
            var span = Assert.Single(screened.Coverage.UnscreenedSpans);
            Assert.Equal(UnscreenedReason.ClassifierFailure, span.Reason);
            Assert.Equal((0d, 8d), (span.StartSeconds, Math.Round(span.EndSeconds)));
            Assert.Contains("exploding failed on frame 0", span.Detail, StringComparison.Ordinal);
            Assert.Equal(0, screened.Coverage.FramesScreened);
        }
        finally
        {
            folder.Delete(true);
        }
    }
}
