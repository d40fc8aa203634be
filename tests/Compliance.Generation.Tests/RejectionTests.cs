using Compliance.Generation.Frames;

namespace Compliance.Generation.Tests;

[Collection(VideoCollection.Name)]
public sealed class RejectionTests(TestVideos videos)
{
    private static readonly FrameSamplerOptions Defaults = new();

    public static TheoryData<string, VideoRejectionReason> BadFiles => new()
    {
        { nameof(TestVideos.Empty), VideoRejectionReason.Empty },
        { nameof(TestVideos.RandomBytes), VideoRejectionReason.NotAVideo },
        { nameof(TestVideos.Truncated), VideoRejectionReason.Corrupt },
        { nameof(TestVideos.PngNamedMp4), VideoRejectionReason.NotAVideo },
        { nameof(TestVideos.AudioOnly), VideoRejectionReason.NotAVideo },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task EachBadFileIsRejectedWithItsReason(string file, VideoRejectionReason reason)
    {
        var path = (string)typeof(TestVideos).GetProperty(file)!.GetValue(videos)!;

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(
            () => new FrameSampler(Defaults).SampleAsync(path, CancellationToken.None));

        Assert.Equal(reason, rejected.Reason);
        Assert.Empty(Directory.EnumerateFileSystemEntries(videos.ProcessTempFolder));
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task EachBadUploadIsRejectedWithItsReasonAndLeavesNoFileBehind(string file, VideoRejectionReason reason)
    {
        var path = (string)typeof(TestVideos).GetProperty(file)!.GetValue(videos)!;
        var scratch = videos.NewScratchFolder();
        await using var upload = File.OpenRead(path);

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(
            () => new FrameSampler(Defaults with { TempDirectory = scratch }).SampleAsync(upload, CancellationToken.None));

        Assert.Equal(reason, rejected.Reason);
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
    }

    [Fact]
    public async Task AVideoLongerThanTheLimitIsTooLong()
    {
        var sampler = new FrameSampler(Defaults with { MaxDuration = TimeSpan.FromSeconds(5) });

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(
            () => sampler.SampleAsync(videos.ThreeCuts, CancellationToken.None));

        Assert.Equal(VideoRejectionReason.TooLong, rejected.Reason);
    }

    [Fact]
    public async Task AFileOverTheSizeLimitIsTooLarge()
    {
        var sampler = new FrameSampler(Defaults with { MaxFileBytes = 1024 });

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(
            () => sampler.SampleAsync(videos.ThreeCuts, CancellationToken.None));

        Assert.Equal(VideoRejectionReason.TooLarge, rejected.Reason);
    }

    [Fact]
    public async Task AnUploadOverTheSizeLimitIsRefusedWhileCopyingAndNotKept()
    {
        var scratch = videos.NewScratchFolder();
        var sampler = new FrameSampler(Defaults with { MaxFileBytes = 100_000, TempDirectory = scratch });
        await using var endless = new EndlessStream();

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(() => sampler.SampleAsync(endless, CancellationToken.None));

        Assert.Equal(VideoRejectionReason.TooLarge, rejected.Reason);
        Assert.True(endless.Position < 1_000_000, $"read {endless.Position} bytes of an endless upload");
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
    }

    [Fact]
    public async Task FramesLargerThanTheSourceLimitAreTooLarge()
    {
        var sampler = new FrameSampler(Defaults with { MaxSourceWidth = 1280, MaxSourceHeight = 1280 });

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(
            () => sampler.SampleAsync(videos.FullHd, CancellationToken.None));

        Assert.Equal(VideoRejectionReason.TooLarge, rejected.Reason);
    }

    [Fact]
    public async Task ATimeBudgetRunningOutAfterSomeFramesLeavesTheRestUnscreenedNotAllowed()
    {
        // The first frame is screened at once; the second would take longer than the whole budget. (Timing the
        // budget against a fixed per-frame delay failed on a loaded machine, where ffmpeg alone took the 3 s budget
        // before the first frame arrived.)
        var budget = TimeSpan.FromSeconds(10);
        var sampler = new FrameSampler(Defaults with { Timeout = budget });
        var screened = new List<double>();

        var summary = await sampler.SampleAsync(
            videos.ThreeCuts,
            async (frame, ct) =>
            {
                if (screened.Count > 0)
                {
                    await Task.Delay(budget * 3, ct);
                }

                screened.Add(frame.TimestampSeconds);
            },
            CancellationToken.None);

        Assert.Single(screened);
        Assert.Equal(screened.Count, summary.Coverage.FramesScreened);
        var gap = Assert.Single(summary.Coverage.UnscreenedSpans);
        Assert.Equal(UnscreenedReason.TimeBudget, gap.Reason);
        Assert.Equal(screened[^1], gap.StartSeconds, precision: 3);
        Assert.Equal(7.5, gap.EndSeconds, precision: 1);
        Assert.False(summary.Coverage.IsComplete);
        Assert.Empty(Directory.EnumerateFileSystemEntries(videos.ProcessTempFolder));
    }

    [Fact]
    public async Task ATimeBudgetRunningOutBeforeAnyFrameIsATimeout()
    {
        var sampler = new FrameSampler(Defaults with { Timeout = TimeSpan.FromSeconds(2) });

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(() => sampler.SampleAsync(
            videos.ThreeCuts, async (_, ct) => await Task.Delay(5000, ct), CancellationToken.None));

        Assert.Equal(VideoRejectionReason.Timeout, rejected.Reason);
    }

    [Fact]
    public async Task ATinyTimeBudgetIsATimeoutNotAHang()
    {
        var sampler = new FrameSampler(Defaults with { Timeout = TimeSpan.FromMilliseconds(1) });

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(
            () => sampler.SampleAsync(videos.FullHd, CancellationToken.None));

        Assert.Equal(VideoRejectionReason.Timeout, rejected.Reason);
    }

    [Fact]
    public async Task TheCallersCancellationIsNotARejection()
    {
        using var cancel = new CancellationTokenSource();
        var sampler = new FrameSampler(Defaults);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sampler.SampleAsync(
            videos.ThreeCuts,
            (_, _) =>
            {
                cancel.Cancel();
                return ValueTask.CompletedTask;
            },
            cancel.Token));
    }

    [Fact]
    public void EveryOutOfRangeSettingIsNamed()
    {
        var options = Defaults with { FramesPerSecond = 0, MaxIntervalFrames = 0, MaxSceneChangeFrames = -1, MaxFileBytes = 0 };

        var problems = options.Problems();

        Assert.Equal(4, problems.Count);
        Assert.All(new[] { "FramesPerSecond", "MaxIntervalFrames", "MaxSceneChangeFrames", "MaxFileBytes" },
            name => Assert.Contains(problems, p => p.StartsWith(name + ":", StringComparison.Ordinal)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameSampler(options));
        Assert.Empty(Defaults.Problems());
    }

    [Fact]
    public async Task AMissingFileIsTheCallersMistakeNotARejection()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(
            () => new FrameSampler(Defaults).SampleAsync(Path.Combine(videos.VideoFolder, "absent.mp4"), CancellationToken.None));
    }

    /// <summary>An upload that never ends, as a client streaming garbage forever would send.</summary>
    private sealed class EndlessStream : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(0x47);
            _position += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
