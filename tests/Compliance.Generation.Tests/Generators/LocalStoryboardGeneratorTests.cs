using System.Security.Cryptography;
using Compliance.Faces;
using Compliance.Generation.Frames;
using Compliance.Generation.Generators;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;

namespace Compliance.Generation.Tests.Generators;

public sealed class LocalStoryboardGeneratorTests : IDisposable
{
    private const string Prompt = "A quiet library at night. A woman reads by the window. The lights go out.";
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private LocalStoryboardGenerator Generator(LocalStoryboardOptions? options = null) =>
        new((options ?? new LocalStoryboardOptions()) with { OutputDirectory = _scratch.Path });

    private static GenerationRequest Request(long seed = 7) => new()
    {
        Prompt = Prompt,
        Seed = seed,
        Duration = TimeSpan.FromSeconds(3),
        Width = 320,
        Height = 240,
    };

    [Fact]
    public async Task TheSameRequestAndSeedGiveTheSameBytes()
    {
        using var generator = Generator();

        var first = await generator.GenerateAsync(Request(seed: 42), null, CancellationToken.None);
        var second = await generator.GenerateAsync(Request(seed: 42), null, CancellationToken.None);

        Assert.NotEqual(first.Path, second.Path);
        Assert.Equal(Sha256(first.Path), Sha256(second.Path));
    }

    [Fact]
    public async Task ADifferentSeedGivesADifferentVideo()
    {
        using var generator = Generator();

        var first = await generator.GenerateAsync(Request(seed: 1), null, CancellationToken.None);
        var second = await generator.GenerateAsync(Request(seed: 2), null, CancellationToken.None);

        Assert.NotEqual(Sha256(first.Path), Sha256(second.Path));
        var a = await new FrameSampler(new FrameSamplerOptions { SceneChangeThreshold = null }).SampleAsync(first.Path, CancellationToken.None);
        var b = await new FrameSampler(new FrameSamplerOptions { SceneChangeThreshold = null }).SampleAsync(second.Path, CancellationToken.None);
        Assert.False(a.Frames[0].Rgb24.Span.SequenceEqual(b.Frames[0].Rgb24.Span), "different seeds must draw different pictures, not just different bytes");
    }

    [Fact]
    public async Task TheVideoIsAnH264Mp4OfTheRequestedDurationSizeAndFrameRate()
    {
        using var generator = Generator(new LocalStoryboardOptions { FramesPerSecond = 8 });

        var video = await generator.GenerateAsync(Request() with { Duration = TimeSpan.FromSeconds(5), Width = 480, Height = 270 }, null, CancellationToken.None);

        var probed = (await new FrameSampler(new FrameSamplerOptions { SceneChangeThreshold = null }).SampleAsync(video.Path, CancellationToken.None)).Metadata;
        Assert.Equal("h264", probed.Codec);
        Assert.Contains("mp4", probed.FormatName, StringComparison.Ordinal);
        Assert.Equal((480, 270), (probed.Width, probed.Height));
        Assert.Equal(8, probed.FramesPerSecond, precision: 3);
        Assert.Equal(5.0, probed.Duration.TotalSeconds, precision: 1);
        Assert.Equal(("video/mp4", TimeSpan.FromSeconds(5), 480, 270), (video.MediaType, video.Duration, video.Width, video.Height));
        Assert.Equal((LocalStoryboardGenerator.GeneratorName, "storyboard-1", (string?)null), (video.Generator, video.Model, video.ProviderJobId));
        Assert.StartsWith(_scratch.Path, video.Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnImagePlacedFromThreeToFourSecondsIsSeenThereAndNowhereElse()
    {
        using var generator = Generator();
        var astronaut = TestPaths.TestImage("astronaut.png");
        var request = Request() with
        {
            Duration = TimeSpan.FromSeconds(6),
            Width = 256,
            Height = 256,
            Assets = [new StoryboardAsset { Name = "reference", ImagePath = astronaut, From = TimeSpan.FromSeconds(3), To = TimeSpan.FromSeconds(4), Height = 1.0 }],
        };

        var video = await generator.GenerateAsync(request, null, CancellationToken.None);

        var reference = PdqHasher.Hash(new SafeImageDecoder().DecodeFile(astronaut)).Hash;
        var sampled = await new FrameSampler(new FrameSamplerOptions { FramesPerSecond = 2, SceneChangeThreshold = null }).SampleAsync(video.Path, CancellationToken.None);
        Assert.Equal(12, sampled.Frames.Count);
        foreach (var frame in sampled.Frames)
        {
            var distance = PdqHasher.Hash(frame.Rgb24.Span, frame.Width, frame.Height, frame.Stride, PdqPixelFormat.Rgb888).Hash.HammingDistance(reference);
            var shown = frame.TimestampSeconds is >= 3 and < 4;
            Assert.True(shown == distance <= ImageMatchThresholds.PdqMaxDistance,
                $"frame at {frame.TimestampSeconds} s is {distance} bits from the reference; expected {(shown ? "a match" : "no match")}");
        }
    }

    [Fact]
    public async Task AFacePhotoPlacedInTheSecondSceneIsFoundAndMatchedOnlyInThatScene()
    {
        using var generator = Generator();
        var photo = TestPaths.TestImage(Path.Combine("faces", "grace_hopper.jpg"));
        var request = Request() with
        {
            Duration = TimeSpan.FromSeconds(6),
            Width = 480,
            Height = 360,
            Assets = [new StoryboardAsset { Name = "cameo", ImagePath = photo, Scene = 1, Height = 0.9 }],
        };

        var video = await generator.GenerateAsync(request, null, CancellationToken.None);

        using var faces = new FacePipeline(FaceModelOptions.FromDirectory(TestPaths.FaceModels));
        var enrolled = Assert.Single(faces.Analyze(new SafeImageDecoder().DecodeFile(photo)));
        var sampled = await new FrameSampler(new FrameSamplerOptions { SceneChangeThreshold = null }).SampleAsync(video.Path, CancellationToken.None);
        Assert.Equal(6, sampled.Frames.Count);
        foreach (var frame in sampled.Frames)
        {
            var found = faces.Analyze(new DecodedImage(frame.Rgb24, frame.Width, frame.Height, frame.Stride, PdqPixelFormat.Rgb888));
            var best = found.Select(f => FaceVectors.Cosine(f.Embedding, enrolled.Embedding)).DefaultIfEmpty(0).Max();
            var inSecondScene = frame.TimestampSeconds is >= 2 and < 4;
            Assert.True(inSecondScene == best >= FaceMatchThresholds.Match,
                $"frame at {frame.TimestampSeconds} s: best face cosine {best}; expected {(inSecondScene ? "a match" : "none")}");
        }
    }

    [Fact]
    public async Task ACaptionAssetChangesOnlyTheFramesItIsPlacedIn()
    {
        using var generator = Generator();
        var plain = await generator.GenerateAsync(Request(), null, CancellationToken.None);
        var captioned = await generator.GenerateAsync(Request() with
        {
            Assets = [new StoryboardAsset { Name = "tag", Text = "Nebula Knight", From = TimeSpan.FromSeconds(1), To = TimeSpan.FromSeconds(2), CenterY = 0.3, Height = 0.15 }],
        }, null, CancellationToken.None);

        var sampler = new FrameSampler(new FrameSamplerOptions { SceneChangeThreshold = null });
        var a = (await sampler.SampleAsync(plain.Path, CancellationToken.None)).Frames;
        var b = (await sampler.SampleAsync(captioned.Path, CancellationToken.None)).Frames;
        Assert.Equal(3, a.Count);
        Assert.True(MeanAbsoluteDifference(a[0], b[0]) < 1.0, "the caption is not placed at 0 s");
        Assert.True(MeanAbsoluteDifference(a[1], b[1]) > 3.0, "the caption is placed at 1 s");
        Assert.True(MeanAbsoluteDifference(a[2], b[2]) < 1.0, "the caption is not placed at 2 s");
    }

    [Fact]
    public async Task ProgressRisesToOne()
    {
        using var generator = Generator();
        var seen = new List<double>();

        await generator.GenerateAsync(Request(), new SynchronousProgress(seen.Add), CancellationToken.None);

        Assert.True(seen.Count > 2);
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(1.0, seen[^1]);
    }

    public static TheoryData<string, GenerationRequest> OutOfLimits => new()
    {
        { "empty prompt", Request() with { Prompt = "   " } },
        { "prompt too long", Request() with { Prompt = new string('a', 4001) } },
        { "zero duration", Request() with { Duration = TimeSpan.Zero } },
        { "duration too long", Request() with { Duration = TimeSpan.FromSeconds(31) } },
        { "odd width", Request() with { Width = 321 } },
        { "too small", Request() with { Width = 32, Height = 32 } },
        { "too large", Request() with { Width = 3840, Height = 2160 } },
        { "missing image", Request() with { Assets = [new StoryboardAsset { Name = "ghost", ImagePath = "/nonexistent/ghost.png", Scene = 0 }] } },
        { "not an image", Request() with { Assets = [new StoryboardAsset { Name = "text", ImagePath = "/etc/hostname", Scene = 0 }] } },
        { "image and caption", Request() with { Assets = [new StoryboardAsset { Name = "both", ImagePath = "/etc/hostname", Text = "x", Scene = 0 }] } },
        { "scene out of range", Request() with { Assets = [new StoryboardAsset { Name = "late", Text = "x", Scene = 3 }] } },
        { "scene and range", Request() with { Assets = [new StoryboardAsset { Name = "twice", Text = "x", Scene = 0, From = TimeSpan.Zero, To = TimeSpan.FromSeconds(1) }] } },
        { "range after the end", Request() with { Assets = [new StoryboardAsset { Name = "after", Text = "x", From = TimeSpan.FromSeconds(5), To = TimeSpan.FromSeconds(6) }] } },
        { "centre off the frame", Request() with { Assets = [new StoryboardAsset { Name = "off", Text = "x", Scene = 0, CenterX = 1.5 }] } },
    };

    [Theory]
    [MemberData(nameof(OutOfLimits))]
    public async Task RequestsOutsideTheLimitsAreRefusedAndLeaveNothing(string name, GenerationRequest request)
    {
        using var generator = Generator();

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => generator.GenerateAsync(request, null, CancellationToken.None));

        Assert.True(failure.Kind == GenerationFailureKind.InvalidRequest, $"{name}: {failure.Kind}");
        Assert.Empty(_scratch.Files);
    }

    [Fact]
    public async Task AnAssetThatCannotBeUsedIsNamedInTheFailure()
    {
        using var generator = Generator();

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => generator.GenerateAsync(
            Request() with { Assets = [new StoryboardAsset { Name = "ada-face", ImagePath = "/nonexistent/ada.png", Scene = 0 }] },
            null, CancellationToken.None));

        Assert.Contains("'ada-face'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEncoderFailureIsPermanentAndCarriesFfmpegsDiagnostics()
    {
        // ffmpeg cannot open an output file in a folder that does not exist: a real encoder failure, no stand-in.
        var missing = Path.Combine(_scratch.Path, "no-such-folder");
        using var generator = new LocalStoryboardGenerator(new LocalStoryboardOptions { OutputDirectory = missing });

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => generator.GenerateAsync(Request(), null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.Permanent, failure.Kind);
        Assert.Contains("No such file or directory", failure.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancellationStopsTheWorkAndLeavesNothing()
    {
        using var generator = Generator();
        using var cts = new CancellationTokenSource();

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => generator.GenerateAsync(
            Request() with { Duration = TimeSpan.FromSeconds(20) }, new SynchronousProgress(_ => cts.Cancel()), cts.Token));

        Assert.Equal(GenerationFailureKind.Cancelled, failure.Kind);
        Assert.Empty(_scratch.Files);
    }

    [Fact]
    public async Task ATimeBudgetThatRunsOutIsATimeoutAndLeavesNothing()
    {
        using var generator = Generator(new LocalStoryboardOptions { Timeout = TimeSpan.FromMilliseconds(200) });

        var failure = await Assert.ThrowsAsync<GenerationFailedException>(() => generator.GenerateAsync(
            Request() with { Duration = TimeSpan.FromSeconds(30), Width = 1280, Height = 720 }, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.Timeout, failure.Kind);
        Assert.Empty(_scratch.Files);
    }

    [Fact]
    public async Task ANamedSoundtrackIsLaidUnderTheScenesAndCutWhereTheVideoEnds()
    {
        var audio = Path.Combine(TestPaths.RepoRoot, ".data", "test-audio");
        Assert.True(File.Exists(Path.Combine(audio, "xblast-song2.wav")), "run scripts/test-audio.sh");
        using var generator = Generator(new LocalStoryboardOptions { AudioAssetFolder = audio });
        Assert.Contains("xblast-song2", generator.SoundtrackNames);

        // 8 s of a 70 s song: Chromaprint's filters leave about 2.5 s of any clip unfingerprinted, so ~5.5 s is expected.
        var request = Request() with { Soundtrack = "xblast-song2", Duration = TimeSpan.FromSeconds(8) };
        var first = await generator.GenerateAsync(request, null, CancellationToken.None);
        var again = await generator.GenerateAsync(request, null, CancellationToken.None);

        var fingerprint = await new Compliance.Audio.AudioFingerprinter(Microsoft.Extensions.Options.Options.Create(new Compliance.Audio.AudioFingerprintOptions()))
            .FingerprintTrackAsync(first.Path, Compliance.Audio.AudioContainer.ForVideoDemuxer("mov")!, CancellationToken.None);
        Assert.InRange(fingerprint.DurationSeconds, 4.0, 8.0);
        Assert.Equal(Sha256(first.Path), Sha256(again.Path));
    }

    [Theory]
    [InlineData("no-such-song")]
    [InlineData("../test-audio/xblast-song2")]
    [InlineData("xblast-song2.wav")]
    public async Task AnUnknownOrPathLikeSoundtrackNameIsAnInvalidRequest(string name)
    {
        using var generator = Generator(new LocalStoryboardOptions { AudioAssetFolder = Path.Combine(TestPaths.RepoRoot, ".data", "test-audio") });

        var failed = await Assert.ThrowsAsync<GenerationFailedException>(() => generator.GenerateAsync(Request() with { Soundtrack = name }, null, CancellationToken.None));

        Assert.Equal(GenerationFailureKind.InvalidRequest, failed.Kind);
        Assert.Empty(Directory.GetFiles(_scratch.Path));
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static double MeanAbsoluteDifference(SampledFrame a, SampledFrame b)
    {
        var x = a.Rgb24.Span;
        var y = b.Rgb24.Span;
        long sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sum += Math.Abs(x[i] - y[i]);
        }

        return (double)sum / x.Length;
    }
}

/// <summary>IProgress that calls back on the reporting thread (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
internal sealed class SynchronousProgress(Action<double> report) : IProgress<double>
{
    public void Report(double value) => report(value);
}
