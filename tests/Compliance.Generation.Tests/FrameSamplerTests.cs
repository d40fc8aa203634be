using Compliance.Generation.Frames;

namespace Compliance.Generation.Tests;

[Collection(VideoCollection.Name)]
public sealed class FrameSamplerTests(TestVideos videos)
{
    private static readonly FrameSamplerOptions Defaults = new();

    [Fact]
    public async Task TakesOneFramePerSecondPlusEachCutWithoutDuplicates()
    {
        var video = await new FrameSampler(Defaults).SampleAsync(videos.ThreeCuts, CancellationToken.None);

        var seen = video.Frames.Select(f => (f.TimestampSeconds, f.Reason)).ToArray();
        (double, FrameReason)[] expected =
        [
            (0, FrameReason.Interval),
            (1, FrameReason.Interval),
            (2, FrameReason.Interval),
            (2.5, FrameReason.SceneChange),
            (3, FrameReason.Interval),
            (4, FrameReason.Interval),
            (5, FrameReason.Interval | FrameReason.SceneChange),
            (6, FrameReason.Interval),
            (7, FrameReason.Interval),
        ];
        Assert.Equal(expected.Length, seen.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Item1, seen[i].TimestampSeconds, precision: 3);
            Assert.Equal(expected[i].Item2, seen[i].Reason);
            Assert.Equal(i, video.Frames[i].Index);
        }

        Assert.Equal(video.Frames.Count, video.Frames.Select(f => f.TimestampSeconds).Distinct().Count());
        Assert.True(video.Coverage.IsComplete);
    }

    [Fact]
    public async Task SceneScoresAreHighOnlyAtTheCuts()
    {
        var video = await new FrameSampler(Defaults).SampleAsync(videos.ThreeCuts, CancellationToken.None);

        foreach (var frame in video.Frames)
        {
            Assert.NotNull(frame.SceneScore);
            var isCut = Math.Abs(frame.TimestampSeconds - 2.5) < 0.01 || Math.Abs(frame.TimestampSeconds - 5) < 0.01;
            Assert.Equal(isCut, frame.SceneScore > Defaults.SceneChangeThreshold);
        }
    }

    [Fact]
    public async Task WithSceneDetectionOffOnlyTheFixedScheduleIsTaken()
    {
        var sampler = new FrameSampler(Defaults with { SceneChangeThreshold = null });

        var video = await sampler.SampleAsync(videos.ThreeCuts, CancellationToken.None);

        Assert.Equal([0d, 1, 2, 3, 4, 5, 6, 7], video.Frames.Select(f => Math.Round(f.TimestampSeconds, 3)));
        Assert.All(video.Frames, f => Assert.Equal(FrameReason.Interval, f.Reason));
        Assert.All(video.Frames, f => Assert.Null(f.SceneScore));
    }

    [Fact]
    public async Task TwoFramesPerSecondTakeTheFirstFrameAtOrAfterEachHalfSecond()
    {
        var sampler = new FrameSampler(Defaults with { FramesPerSecond = 2, SceneChangeThreshold = null });

        var video = await sampler.SampleAsync(videos.FullHd, CancellationToken.None);

        // 25 fps has frames every 0.04 s: none at 0.5 s, so the frame at 0.52 s opens that half-second.
        Assert.Equal([0d, 0.52, 1, 1.52, 2, 2.52], video.Frames.Select(f => Math.Round(f.TimestampSeconds, 3)));
    }

    [Fact]
    public async Task FramesArePackedRgb24InTheSourceColours()
    {
        var video = await new FrameSampler(Defaults).SampleAsync(videos.ThreeCuts, CancellationToken.None);

        var red = video.Frames.Single(f => Math.Abs(f.TimestampSeconds - 3) < 0.01);
        var blue = video.Frames.Single(f => Math.Abs(f.TimestampSeconds - 6) < 0.01);
        Assert.Equal((320, 240, 960), (red.Width, red.Height, red.Stride));
        Assert.Equal(red.Stride * red.Height, red.Rgb24.Length);
        AssertPixel(red, 160, 120, r => r > 200, g => g < 40, b => b < 40);
        AssertPixel(blue, 10, 10, r => r < 40, g => g < 40, b => b > 200);
    }

    [Fact]
    public async Task LargeFramesAreDownscaledToFitTheBoxKeepingAspect()
    {
        var video = await new FrameSampler(Defaults).SampleAsync(videos.FullHd, CancellationToken.None);

        Assert.All(video.Frames, f => Assert.Equal((1280, 720), (f.Width, f.Height)));
        Assert.All(video.Frames, f => Assert.Equal(1280 * 720 * 3, f.Rgb24.Length));
    }

    [Fact]
    public async Task PortraitFramesFitASmallerBoxByTheirHeight()
    {
        var sampler = new FrameSampler(Defaults with { MaxOutputWidth = 320, MaxOutputHeight = 320 });

        var video = await sampler.SampleAsync(videos.Portrait, CancellationToken.None);

        Assert.All(video.Frames, f => Assert.Equal((180, 320), (f.Width, f.Height)));
    }

    [Fact]
    public async Task SmallFramesAreNeverEnlarged()
    {
        var video = await new FrameSampler(Defaults).SampleAsync(videos.Portrait, CancellationToken.None);

        Assert.All(video.Frames, f => Assert.Equal((360, 640), (f.Width, f.Height)));
    }

    [Fact]
    public async Task MetadataComesFromFfprobe()
    {
        var video = await new FrameSampler(Defaults).SampleAsync(videos.ThreeCuts, CancellationToken.None);

        var metadata = video.Metadata;
        Assert.Equal(7.5, metadata.Duration.TotalSeconds, precision: 1);
        Assert.Equal((320, 240), (metadata.Width, metadata.Height));
        Assert.Equal(videos.VideoCodec == "libx264" ? "h264" : "mpeg4", metadata.Codec);
        Assert.Equal(30, metadata.FramesPerSecond, precision: 3);
        Assert.Contains("mp4", metadata.FormatName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATightFrameBudgetWidensTheScheduleInsteadOfStoppingEarly()
    {
        var sampler = new FrameSampler(Defaults with { MaxIntervalFrames = 3 });

        var video = await sampler.SampleAsync(videos.ThreeCuts, CancellationToken.None);

        // 3 frames over 7.5 s: one every 3 s (2.5/7.5 fps), and the cuts at 2.5 s and 5 s on top.
        Assert.Equal([0d, 2.5, 3, 5, 6], video.Frames.Select(f => Math.Round(f.TimestampSeconds, 3)));
        Assert.Equal(3, video.Frames.Count(f => f.Reason.HasFlag(FrameReason.Interval)));
        Assert.True(video.Coverage.IsComplete);
        Assert.Equal(3, video.Coverage.IntervalSeconds, precision: 3);
        Assert.Equal(7.5, video.Coverage.SecondsCovered, precision: 2);
    }

    [Fact]
    public async Task StreamingHandsOverEachFrameAsItIsDecoded()
    {
        var timestamps = new List<double>();

        var summary = await new FrameSampler(Defaults).SampleAsync(
            videos.ThreeCuts,
            (frame, _) =>
            {
                timestamps.Add(frame.TimestampSeconds);
                return ValueTask.CompletedTask;
            },
            CancellationToken.None);

        Assert.Equal(9, summary.FrameCount);
        Assert.Equal(9, timestamps.Count);
        Assert.Equal(timestamps.Order(), timestamps);
    }

    [Fact]
    public async Task AnUploadedStreamIsSampledAndItsSpoolFileDeleted()
    {
        var scratch = videos.NewScratchFolder();
        var sampler = new FrameSampler(Defaults with { TempDirectory = scratch });
        await using var upload = File.OpenRead(videos.ThreeCuts);

        var video = await sampler.SampleAsync(upload, CancellationToken.None);

        Assert.Equal(9, video.Frames.Count);
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
        Assert.Empty(Directory.EnumerateFileSystemEntries(videos.ProcessTempFolder));
    }

    private static void AssertPixel(SampledFrame frame, int x, int y, Func<byte, bool> r, Func<byte, bool> g, Func<byte, bool> b)
    {
        var at = (y * frame.Stride) + (x * 3);
        var pixel = frame.Rgb24.Span.Slice(at, 3);
        Assert.True(r(pixel[0]) && g(pixel[1]) && b(pixel[2]), $"pixel ({x},{y}) is ({pixel[0]},{pixel[1]},{pixel[2]})");
    }
}
