using Compliance.Generation.Frames;
using Compliance.Policies.Model;

namespace Compliance.Generation.Tests;

/// <summary>The sampler covers the whole video, or says exactly which span it did not cover and why.</summary>
[Collection(VideoCollection.Name)]
public sealed class CoverageTests(TestVideos videos)
{
    private static readonly FrameSamplerOptions Defaults = new();

    [Fact]
    public async Task AVideoLongerThanTheFrameBudgetIsScreenedToItsEnd()
    {
        var video = await new FrameSampler(Defaults).SampleAsync(videos.LongWithRedEnding, CancellationToken.None);

        var scheduled = video.Frames.Where(f => f.Reason.HasFlag(FrameReason.Interval)).ToList();
        Assert.InRange(scheduled.Count, 290, Defaults.MaxIntervalFrames);
        Assert.True(video.Frames[^1].TimestampSeconds >= 338, $"last frame at {video.Frames[^1].TimestampSeconds} s of 340 s");
        // The last 30 s (solid red) are screened like the rest: about one frame every 340/300 s.
        var redEnding = video.Frames.Where(f => f.TimestampSeconds >= 310).ToList();
        Assert.InRange(redEnding.Count, 25, 28);
        Assert.All(redEnding, f => Assert.True(IsRed(f), $"frame at {f.TimestampSeconds} s is not red"));
        Assert.True(video.Coverage.IsComplete);
        Assert.Equal(340, video.Coverage.DurationSeconds, precision: 1);
        Assert.Equal(340, video.Coverage.SecondsCovered, precision: 1);
        Assert.InRange(video.Coverage.IntervalSeconds, 1.13, 1.14);
        // Source frames come once a second, so the first one at or after each 1.135 s step can be up to 1 s late.
        Assert.InRange(video.Coverage.LargestGapSeconds, 1.13, 2.14);
    }

    [Fact]
    public async Task RapidCutsUseTheirOwnAllowanceAndNeverCrowdOutTheSchedule()
    {
        var video = await new FrameSampler(Defaults).SampleAsync(videos.RapidCutsThenGreen, CancellationToken.None);

        var cutsOnly = video.Frames.Where(f => f.Reason == FrameReason.SceneChange).ToList();
        Assert.Equal(Defaults.MaxSceneChangeFrames, cutsOnly.Count);
        Assert.All(cutsOnly, f => Assert.True(f.TimestampSeconds < 30));
        // One scheduled frame in every second of the whole video, the 60 green seconds after the cuts included.
        var scheduledSeconds = video.Frames.Where(f => f.Reason.HasFlag(FrameReason.Interval)).Select(f => (int)Math.Floor(f.TimestampSeconds + 1e-6)).ToList();
        Assert.Equal(Enumerable.Range(0, 90), scheduledSeconds);
        Assert.True(video.Coverage.IsComplete);
        Assert.Equal(90, video.Coverage.IntervalFrames);
        Assert.Equal(Defaults.MaxSceneChangeFrames, video.Coverage.SceneChangeFrames);
        Assert.InRange(video.Coverage.LargestGapSeconds, 0.9, 1.01);
    }

    [Fact]
    public async Task AVideoRunningPastItsDeclaredLengthHitsTheFrameCapAndNamesTheUnscreenedSpan()
    {
        // Declares 20 s, runs 60 s: the schedule is planned for 20 s with 20 frames, and runs out at ~19.5 s.
        var sampler = new FrameSampler(Defaults with { MaxIntervalFrames = 20, SceneChangeThreshold = null });

        var video = await sampler.SampleAsync(videos.MkvUnderDeclared, CancellationToken.None);

        Assert.Equal(20, video.Metadata.Duration.TotalSeconds, precision: 1);
        Assert.Equal(20, video.Frames.Count);
        var gap = Assert.Single(video.Coverage.UnscreenedSpans);
        Assert.Equal(UnscreenedReason.FrameCap, gap.Reason);
        Assert.Equal(video.Frames[^1].TimestampSeconds, gap.StartSeconds, precision: 3);
        Assert.InRange(gap.StartSeconds, 18, 20);
        Assert.InRange(gap.EndSeconds, 59, 60);
        Assert.Contains("20 fixed-schedule frames", gap.Detail, StringComparison.Ordinal);
        Assert.InRange(video.Coverage.DurationSeconds, 59, 60);
        Assert.InRange(video.Coverage.SecondsCovered, 18, 20);
        Assert.InRange(video.Coverage.LargestGapSeconds, 39, 42);
    }

    [Theory]
    [InlineData(nameof(TestVideos.Mp4CutMidStream))]
    [InlineData(nameof(TestVideos.MkvCutMidStream))]
    public async Task AVideoCutMidStreamIsUnscreenedFromItsLastGoodFrameNotThrownAwayNorPassed(string file)
    {
        var path = (string)typeof(TestVideos).GetProperty(file)!.GetValue(videos)!;

        var video = await new FrameSampler(Defaults).SampleAsync(path, CancellationToken.None);

        Assert.Equal(60, video.Metadata.Duration.TotalSeconds, precision: 1);
        Assert.InRange(video.Frames.Count, 15, 45);
        var gap = Assert.Single(video.Coverage.UnscreenedSpans);
        Assert.Equal(UnscreenedReason.DecoderError, gap.Reason);
        Assert.Equal(video.Frames[^1].TimestampSeconds, gap.StartSeconds, precision: 3);
        Assert.Equal(60, gap.EndSeconds, precision: 1);
        Assert.Contains("of 60 s", gap.Detail, StringComparison.Ordinal);
        Assert.False(video.Coverage.IsComplete);
        Assert.Equal(gap.StartSeconds, video.Coverage.SecondsCovered, precision: 2);
    }

    [Fact]
    public async Task AVideoDecodedToItsEndHasNoUnscreenedSpan()
    {
        var video = await new FrameSampler(Defaults).SampleAsync(videos.Matroska, CancellationToken.None);

        Assert.True(video.Coverage.IsComplete);
        Assert.Equal(2, video.Coverage.DurationSeconds, precision: 1);
        Assert.Equal([0d, 1], video.Frames.Select(f => Math.Round(f.TimestampSeconds, 3)));
    }

    [Fact]
    public async Task TheScreenerTurnsAnUnscreenedSpanIntoACoverageSignalNamingIt()
    {
        var screener = new FrameScreener(new FrameSampler(Defaults), []);

        var screened = await screener.ScreenAsync(videos.Mp4CutMidStream, TimeSpan.FromSeconds(10), null, CancellationToken.None);

        var signal = Assert.Single(screened.Signals);
        Assert.Equal(SignalKinds.CoverageIncomplete, signal.Kind);
        Assert.Equal(FrameScreener.CoverageClassifier, signal.Classifier);
        Assert.Null(signal.Entity);
        Assert.InRange(signal.Score, 0.25, 0.75);
        Assert.Contains("(decoder_error: decoding stopped at", signal.Evidence.Detail, StringComparison.Ordinal);
        Assert.Equal(screened.Coverage.UnscreenedSpans[0].StartSeconds, signal.Evidence.TimestampSeconds);
    }

    [Fact]
    public async Task AVideoScreenedEndToEndHasNoCoverageSignal()
    {
        var screener = new FrameScreener(new FrameSampler(Defaults), []);

        var screened = await screener.ScreenAsync(videos.ThreeCuts, TimeSpan.FromSeconds(10), null, CancellationToken.None);

        Assert.Empty(screened.Signals);
        Assert.True(screened.Coverage.IsComplete);
        Assert.Equal(9, screened.Coverage.FramesScreened);
    }

    [Fact]
    public void CoverageMergesTouchingSpansOfOneReasonAndCountsOverlapsOnce()
    {
        var coverage = VideoCoverage.Measure(100, 1, [0, 10, 20], 3, 0,
        [
            new UnscreenedSpan(20, 30, UnscreenedReason.ClassifierFailure, "a failed on frame 2"),
            new UnscreenedSpan(30, 40, UnscreenedReason.ClassifierFailure, "a failed on frame 3"),
            new UnscreenedSpan(35, 100, UnscreenedReason.DecoderError, "partial file"),
        ]);

        Assert.Equal(2, coverage.UnscreenedSpans.Count);
        Assert.Equal((20d, 40d), (coverage.UnscreenedSpans[0].StartSeconds, coverage.UnscreenedSpans[0].EndSeconds));
        Assert.Equal(20, coverage.SecondsCovered, precision: 3);
        Assert.Equal(80, coverage.LargestGapSeconds, precision: 3);
        Assert.Equal(0.8, coverage.UnscreenedFraction, precision: 3);
        Assert.Contains("20–40 s (classifier_failure", coverage.Describe(), StringComparison.Ordinal);
    }

    private static bool IsRed(SampledFrame frame)
    {
        var pixel = frame.Rgb24.Span.Slice(((frame.Height / 2) * frame.Stride) + ((frame.Width / 2) * 3), 3);
        return pixel[0] > 200 && pixel[1] < 40 && pixel[2] < 40;
    }
}
