using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using FFMpegCore;
using FFMpegCore.Exceptions;

namespace Compliance.Generation.Frames;

/// <summary>
/// Takes frames out of a video with ffmpeg, coverage first: a fixed schedule (the first frame at or after each
/// multiple of the interval) spread over the whole duration, plus scene changes within their own allowance that never
/// takes a scheduled slot; each frame once, downscaled to fit the output box, as packed RGB24. Only accepted containers
/// (sniffed from the bytes) reach ffprobe and ffmpeg, each with its demuxer forced and local files as the only
/// protocol. What could not be screened is reported as <see cref="VideoCoverage"/>, never silently dropped; bad input
/// ends in a <see cref="VideoRejectedException"/>. Nothing is left on disk and no ffmpeg process outlives a call.
/// Thread-safe: one instance serves concurrent calls.
/// </summary>
public sealed class FrameSampler
{
    // Selected frames need a little slack when bucketing timestamps: 3.0 s at 1 fps is bucket 3 even if the
    // timebase arithmetic lands at 2.9999999.
    private const double BucketEpsilon = 1e-6;

    // Declared durations and printed timestamps are rounded to the microsecond or to 6 significant digits.
    private const double TimestampSlackSeconds = 1e-3;

    private readonly FrameSamplerOptions _options;
    private readonly FFOptions _ffOptions;

    public FrameSampler(FrameSamplerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _ffOptions = new FFOptions { BinaryFolder = options.BinaryFolder };
    }

    public FrameSamplerOptions Options => _options;

    /// <summary>Samples the video at <paramref name="videoPath"/> and keeps every frame in memory.</summary>
    /// <exception cref="VideoRejectedException">The file is empty, not an accepted video, corrupt, too long, too large or too slow.</exception>
    public async Task<SampledVideo> SampleAsync(string videoPath, CancellationToken ct)
    {
        var frames = new List<SampledFrame>();
        var summary = await SampleAsync(
            videoPath,
            (frame, _) =>
            {
                frames.Add(frame with { Rgb24 = frame.Rgb24.ToArray() });
                return ValueTask.CompletedTask;
            },
            ct).ConfigureAwait(false);
        return new SampledVideo(summary.Metadata, frames, summary.Coverage);
    }

    /// <summary>
    /// Spools an uploaded video to a file under <see cref="FrameSamplerOptions.TempDirectory"/>, enforcing
    /// <see cref="FrameSamplerOptions.MaxFileBytes"/> while copying (an oversized upload is never stored whole) and
    /// taking its SHA-256. Dispose the result to delete the file. This is the one way uploads reach the sampler.
    /// </summary>
    /// <exception cref="VideoRejectedException">The upload is empty or too large.</exception>
    public Task<SpooledVideo> SpoolAsync(Stream video, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(video);
        return SpooledVideo.CreateAsync(video, _options.TempDirectory ?? Path.GetTempPath(), _options.MaxFileBytes, ct);
    }

    /// <summary>Spools an uploaded video (<see cref="SpoolAsync"/>), samples it, and deletes the file whatever happens.</summary>
    public async Task<SampledVideo> SampleAsync(Stream video, CancellationToken ct)
    {
        var spooled = await SpoolAsync(video, ct).ConfigureAwait(false);
        await using (spooled.ConfigureAwait(false))
        {
            return await SampleAsync(spooled.Path, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Samples the video and hands each frame to <paramref name="onFrame"/> as it is decoded, so a long video is
    /// never held in memory. The frame's pixel memory is reused: it is valid only until the returned task completes;
    /// copy it to keep it. A frame counts as screened once its task completes.
    /// </summary>
    /// <exception cref="VideoRejectedException">The file is empty, not an accepted video, corrupt, too long, too large or too slow.</exception>
    public async Task<SamplingSummary> SampleAsync(string videoPath, Func<SampledFrame, CancellationToken, ValueTask> onFrame, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(videoPath);
        ArgumentNullException.ThrowIfNull(onFrame);
        var path = Path.GetFullPath(videoPath);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException("The video to sample does not exist.", path);
        }

        if (file.Length == 0)
        {
            throw new VideoRejectedException(VideoRejectionReason.Empty, "The video is empty (0 bytes).");
        }

        if (file.Length > _options.MaxFileBytes)
        {
            throw new VideoRejectedException(VideoRejectionReason.TooLarge,
                $"The video is {file.Length} bytes; the limit is {_options.MaxFileBytes}.");
        }

        // The bytes decide what this is before any ffmpeg process sees it: a playlist or concat script would make
        // ffmpeg read whatever files it names, so only containers on the allow-list go further.
        var header = await ContainerSniffer.ReadHeaderAsync(path, ct).ConfigureAwait(false);
        var container = ContainerSniffer.Sniff(header.Span) ?? throw new VideoRejectedException(VideoRejectionReason.NotAVideo,
            $"Only MP4/MOV/3GP, Matroska/WebM and AVI videos are accepted; this is {ContainerSniffer.Describe(header.Span)}.");

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_options.Timeout);
        VideoMetadata metadata;
        try
        {
            metadata = await ProbeAsync(path, container, budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (budget.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw TimedOut(ex);
        }

        return await DecodeAsync(path, metadata, onFrame, budget, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The schedule's rate: <see cref="FrameSamplerOptions.FramesPerSecond"/>, lowered when the video is too long for
    /// <see cref="FrameSamplerOptions.MaxIntervalFrames"/> at that rate so the schedule still reaches its end. A video
    /// that declares no duration is planned for the longest accepted one.
    /// </summary>
    internal double ScheduleRate(TimeSpan declaredDuration)
    {
        var planned = declaredDuration > TimeSpan.Zero
            ? Math.Min(declaredDuration.TotalSeconds, _options.MaxDuration.TotalSeconds)
            : _options.MaxDuration.TotalSeconds;
        // N - 0.5 rather than N: floor(t * rate) then stays below N for every t < planned, despite rounding.
        return Math.Min(_options.FramesPerSecond, (_options.MaxIntervalFrames - 0.5) / planned);
    }

    /// <summary>
    /// Input options for ffprobe and ffmpeg: the sniffed container's demuxer forced (ffmpeg never guesses, so no
    /// playlist, concat or image-sequence demuxer can be chosen by the file's content), only the file protocol
    /// allowed, and for MOV/MP4 external data references off (the default, stated so it stays so).
    /// </summary>
    internal static IReadOnlyList<string> InputHardening(VideoContainer container) =>
        container.Demuxer == "mov"
            ? ["-f", container.Demuxer, "-protocol_whitelist", "file", "-enable_drefs", "0"]
            : ["-f", container.Demuxer, "-protocol_whitelist", "file"];

    private async Task<VideoMetadata> ProbeAsync(string path, VideoContainer container, CancellationToken ct)
    {
        IMediaAnalysis analysis;
        try
        {
            // FFMpegCore appends these after the input; ffprobe reads all options before opening it, so they apply.
            // The path is absolute, so ffmpeg reads it with the file protocol, the only one allowed.
            analysis = await FFProbe.AnalyseAsync(path, _ffOptions, string.Join(' ', InputHardening(container)), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested
            && ex is FFProbeProcessException or FormatNullException or JsonException or FormatException or OverflowException)
        {
            // The bytes open like an accepted container, but its demuxer cannot read it (e.g. an MP4 cut before its moov).
            throw new VideoRejectedException(VideoRejectionReason.Corrupt, $"The {container.Name} container cannot be read (truncated or damaged).", ex);
        }

        ct.ThrowIfCancellationRequested();
        var format = analysis.Format.FormatName ?? string.Empty;
        if (!format.Split(',').Contains(container.Demuxer, StringComparer.Ordinal))
        {
            throw new VideoRejectedException(VideoRejectionReason.NotAVideo,
                $"ffprobe read the file as '{format}', not as the {container.Name} container its bytes announce.");
        }

        // Cover art in an audio file is a video stream flagged attached_pic; it is not a video.
        var stream = analysis.VideoStreams
            .Where(s => s.Disposition is null || !s.Disposition.TryGetValue("attached_pic", out var isPicture) || !isPicture)
            .OrderBy(s => s.Index)
            .FirstOrDefault() ?? throw new VideoRejectedException(VideoRejectionReason.NotAVideo, "The file has no video stream.");
        if (stream.Width is not > 0 || stream.Height is not > 0)
        {
            throw new VideoRejectedException(VideoRejectionReason.Corrupt, "The video stream declares no frame size.");
        }

        if (stream.Width > _options.MaxSourceWidth || stream.Height > _options.MaxSourceHeight)
        {
            throw new VideoRejectedException(VideoRejectionReason.TooLarge,
                $"The video is {stream.Width}×{stream.Height}; the limit is {_options.MaxSourceWidth}×{_options.MaxSourceHeight}.");
        }

        if (analysis.Duration > _options.MaxDuration)
        {
            throw new VideoRejectedException(VideoRejectionReason.TooLong,
                $"The video lasts {Seconds(analysis.Duration.TotalSeconds)} s; the limit is {Seconds(_options.MaxDuration.TotalSeconds)} s.");
        }

        // The video stream's own length: an audio track that runs on past the last picture leaves nothing unscreened.
        var duration = stream.Duration > TimeSpan.Zero ? stream.Duration : analysis.Format.Duration;
        var fps = double.IsFinite(stream.AverageFrameRate) && stream.AverageFrameRate > 0 ? stream.AverageFrameRate
            : double.IsFinite(stream.RealFrameRate) && stream.RealFrameRate > 0 ? stream.RealFrameRate : 0;
        return new VideoMetadata(duration, stream.Width.Value, stream.Height.Value, stream.CodecName ?? string.Empty, fps, format, stream.Rotation, container);
    }

    private async Task<SamplingSummary> DecodeAsync(
        string path, VideoMetadata metadata, Func<SampledFrame, CancellationToken, ValueTask> onFrame, CancellationTokenSource budget, CancellationToken caller)
    {
        var ct = budget.Token;
        var rate = ScheduleRate(metadata.Duration);
        var (width, height) = OutputSize(metadata, _options.MaxOutputWidth, _options.MaxOutputHeight);
        var frameBytes = checked(width * height * 3);
        var startInfo = new ProcessStartInfo(GlobalFFOptions.GetFFMpegBinaryPath(_ffOptions))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in FfmpegArguments(path, metadata.Container, rate, width, height))
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {startInfo.FileName}.");

        // A kill closes ffmpeg's pipes, which ends any read in flight: cancellation never waits on a blocked pipe.
        using var killOnCancel = ct.Register(static state => Kill((Process)state!), process);
        var log = new FfmpegFrameLog();
        var stamps = Channel.CreateUnbounded<FrameStamp>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var stderr = ReadLogAsync(process.StandardError, log, stamps.Writer);
        var progress = new Progress();
        try
        {
            var partial = await ReadFramesAsync(
                process.StandardOutput.BaseStream, stamps.Reader, rate, metadata, width, height, frameBytes, onFrame, progress, ct).ConfigureAwait(false);
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            await stderr.ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (progress.FramesDecoded == 0)
            {
                throw new VideoRejectedException(VideoRejectionReason.Corrupt, $"The video cannot be decoded: no frame could be decoded. {log.Diagnostics}".TrimEnd());
            }

            return Summarise(metadata, rate, progress, EndOfStreamGap(metadata, rate, progress, process.ExitCode, partial, log));
        }
        catch (OperationCanceledException ex) when (budget.IsCancellationRequested && !caller.IsCancellationRequested)
        {
            if (progress.ScreenedTimes.Count == 0)
            {
                throw TimedOut(ex);
            }

            // Frames were screened: what they stand for counts, the rest is reported as unscreened.
            var declared = metadata.Duration.TotalSeconds;
            var gap = new UnscreenedSpan(progress.LastScreened, declared > 0 ? Math.Max(declared, progress.LastSeen) : _options.MaxDuration.TotalSeconds,
                UnscreenedReason.TimeBudget, $"the {Seconds(_options.Timeout.TotalSeconds)} s sampling budget ran out at {Seconds(progress.LastSeen)} s");
            return Summarise(metadata, rate, progress, gap);
        }
        finally
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await ObserveAsync(stderr).ConfigureAwait(false);
        }
    }

    /// <summary>What the end of decoding leaves unscreened: the frames past the schedule's budget, or everything after a decoder stop.</summary>
    private UnscreenedSpan? EndOfStreamGap(VideoMetadata metadata, double rate, Progress progress, int exitCode, bool partial, FfmpegFrameLog log)
    {
        var declared = metadata.Duration.TotalSeconds;
        var end = Math.Max(declared, progress.LastSeen);
        if (progress.CapReachedAt is { } capAt)
        {
            return new UnscreenedSpan(progress.LastScreened, end, UnscreenedReason.FrameCap,
                $"the {_options.MaxIntervalFrames} fixed-schedule frames were used up at {Seconds(capAt)} s; the video declares "
                + $"{Seconds(declared)} s but runs to {Seconds(progress.LastSeen)} s");
        }

        // ffmpeg often exits 0 after a decoder error or a cut file ("partial file"), so the timestamps are the real
        // test: the schedule puts a frame in every interval, so the last one must be in the interval of the last frame.
        var frameDuration = metadata.FramesPerSecond > 0 ? 1 / metadata.FramesPerSecond : 1 / rate;
        var endedEarly = declared > 0
            && progress.LastBucket < Math.Floor((Math.Max(0, declared - frameDuration - TimestampSlackSeconds) * rate) + BucketEpsilon);
        if (exitCode == 0 && !partial && !endedEarly)
        {
            return null;
        }

        var why = exitCode != 0 ? $"ffmpeg exited with code {exitCode}" : partial ? "the last frame was cut short" : "the stream ended early";
        var errors = log.Errors;
        return new UnscreenedSpan(progress.LastScreened, declared > 0 ? end : _options.MaxDuration.TotalSeconds, UnscreenedReason.DecoderError,
            $"decoding stopped at {Seconds(progress.LastSeen)} s of {(declared > 0 ? Seconds(declared) + " s" : "an undeclared length")}: {why}"
            + (errors.Length > 0 ? $" ({errors})" : string.Empty));
    }

    private SamplingSummary Summarise(VideoMetadata metadata, double rate, Progress progress, UnscreenedSpan? gap)
    {
        var coverage = VideoCoverage.Measure(
            Math.Max(metadata.Duration.TotalSeconds, progress.LastSeen), 1 / rate, progress.ScreenedTimes, progress.IntervalFrames,
            progress.SceneChangeFrames, gap is null ? [] : [gap]);
        return new SamplingSummary(metadata, progress.ScreenedTimes.Count, coverage);
    }

    private async Task<bool> ReadFramesAsync(
        Stream stdout,
        ChannelReader<FrameStamp> stamps,
        double rate,
        VideoMetadata metadata,
        int width,
        int height,
        int frameBytes,
        Func<SampledFrame, CancellationToken, ValueTask> onFrame,
        Progress progress,
        CancellationToken ct)
    {
        var pixels = new byte[frameBytes];
        var threshold = _options.SceneChangeThreshold;
        var limit = _options.MaxDuration.TotalSeconds;
        while (true)
        {
            var read = await stdout.ReadAtLeastAsync(pixels, frameBytes, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (read == 0)
            {
                return false;
            }

            if (read < frameBytes)
            {
                return true;
            }

            if (!await stamps.WaitToReadAsync(ct).ConfigureAwait(false) || !stamps.TryRead(out var stamp))
            {
                throw new InvalidOperationException("ffmpeg wrote a frame without its metadata line; the filter chain and the log parser disagree.");
            }

            var time = stamp.TimestampSeconds;
            if (time > limit + TimestampSlackSeconds)
            {
                // The filter always lets such a frame through: a container that under-declares its length is caught here.
                throw new VideoRejectedException(VideoRejectionReason.TooLong,
                    $"The video runs past {Seconds(limit)} s (the limit) although it declares {Seconds(metadata.Duration.TotalSeconds)} s.");
            }

            progress.FramesDecoded++;
            progress.LastSeen = Math.Max(progress.LastSeen, time);

            // The select expression keeps the first frame of every interval, so a frame opening a new interval among the
            // selected ones is the scheduled frame; a second frame in the same interval came in as a cut.
            var bucket = (long)Math.Floor((time * rate) + BucketEpsilon);
            var onSchedule = bucket != progress.LastBucket;
            progress.LastBucket = bucket;
            if (progress.CapReachedAt is not null)
            {
                continue; // past the budget: drained only to learn where the video really ends
            }

            if (onSchedule && progress.IntervalFrames == _options.MaxIntervalFrames)
            {
                progress.CapReachedAt = time;
                continue;
            }

            var isCut = threshold is { } t && stamp.SceneScore is { } score && score > t;
            var reason = onSchedule ? FrameReason.Interval | (isCut ? FrameReason.SceneChange : 0) : FrameReason.SceneChange;
            var frame = new SampledFrame(progress.ScreenedTimes.Count, time, reason, threshold is null ? null : stamp.SceneScore, width, height, pixels);
            await onFrame(frame, ct).ConfigureAwait(false);
            progress.Screened(time, onSchedule);
        }
    }

    private static async Task ReadLogAsync(StreamReader stderr, FfmpegFrameLog log, ChannelWriter<FrameStamp> stamps)
    {
        try
        {
            while (await stderr.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (log.Accept(line) is { } stamp)
                {
                    stamps.TryWrite(stamp);
                }
            }
        }
        finally
        {
            stamps.TryComplete();
        }
    }

    /// <summary>
    /// The ffmpeg command line. Built here rather than with FFMpegCore's FFMpegArguments because the frames come back
    /// on stdout as raw bytes, which FFMpegCore's processor reads as text lines (its binary route is a named pipe,
    /// i.e. a socket file under the process-wide temp folder, plus a copy), and the per-frame metadata comes back on
    /// stderr while frames are still being read. ArgumentList also spares the filter expression a round of quoting.
    /// There is no frame limit: the filter bounds the frames, and the reader must see the end of the video.
    /// </summary>
    internal IReadOnlyList<string> FfmpegArguments(string path, VideoContainer container, double rate, int width, int height)
    {
        var inv = CultureInfo.InvariantCulture;
        var limit = _options.MaxDuration.TotalSeconds;
        return
        [
            "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
            .. InputHardening(container),
            // One second past the limit, so a container that under-declares its length shows frames past the limit.
            "-t", (limit + 1).ToString("R", inv),
            "-i", "file:" + path,
            "-map", "0:V:0", "-an", "-sn", "-dn",
            "-vf", FilterChain(rate, _options.SceneChangeThreshold, _options.MaxSceneChangeFrames, limit, width, height),
            "-fps_mode", "vfr",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
        ];
    }

    /// <summary>
    /// select keeps the first frame of each 1/rate interval (a fixed grid, unlike "1/rate after the last selected
    /// frame", which a cut would shift) and any frame past the duration limit; failing those, a frame whose scene
    /// score passes the threshold while fewer than <paramref name="maxSceneFrames"/> were taken that way (counted in
    /// the expression's variable 0, which persists from frame to frame), so cuts can never crowd out the schedule.
    /// scale fits the output box; the metadata filters print each kept frame's pts_time and scene score.
    /// </summary>
    internal static string FilterChain(double rate, double? sceneThreshold, int maxSceneFrames, double limitSeconds, int width, int height)
    {
        var inv = CultureInfo.InvariantCulture;
        var r = rate.ToString("R", inv);
        var e = BucketEpsilon.ToString("R", inv);
        var scheduled = $"isnan(prev_pts)+gt(floor(t*{r}+{e})\\,floor(prev_pts*TB*{r}+{e}))+gt(t\\,{limitSeconds.ToString("R", inv)})";
        var select = sceneThreshold is { } threshold && maxSceneFrames > 0
            ? $"if({scheduled}\\,1\\,if(gt(scene\\,{threshold.ToString("R", inv)})*lt(ld(0)\\,{maxSceneFrames.ToString(inv)})\\,st(0\\,ld(0)+1)\\,0))"
            : scheduled;
        return $"select='{select}',scale={width.ToString(inv)}:{height.ToString(inv)}:flags=area,"
            + $"metadata=mode=add:key={FfmpegFrameLog.MarkerKey}:value=1,metadata=mode=print";
    }

    /// <summary>The source's display size (after rotation) shrunk to fit the box, keeping aspect; never enlarged.</summary>
    internal static (int Width, int Height) OutputSize(VideoMetadata metadata, int maxWidth, int maxHeight)
    {
        var quarterTurn = Math.Abs(metadata.Rotation % 180) == 90;
        var (w, h) = quarterTurn ? (metadata.Height, metadata.Width) : (metadata.Width, metadata.Height);
        var scale = Math.Min(1.0, Math.Min((double)maxWidth / w, (double)maxHeight / h));
        return (Math.Clamp((int)Math.Round(w * scale), 1, maxWidth), Math.Clamp((int)Math.Round(h * scale), 1, maxHeight));
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }

    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The pipe broke because the process was killed; the outcome was decided elsewhere.
        }
        catch (ObjectDisposedException)
        {
            // Same, seen as a disposed stream.
        }
    }

    private VideoRejectedException TimedOut(Exception inner) => new(VideoRejectionReason.Timeout,
        $"Sampling did not finish within {Seconds(_options.Timeout.TotalSeconds)} s, before any frame was screened.", inner);

    private static string Seconds(double seconds) => seconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Where one decode has got to; read after a time-out as well as at the end.</summary>
    private sealed class Progress
    {
        public List<double> ScreenedTimes { get; } = [];

        public int IntervalFrames { get; private set; }

        public int SceneChangeFrames { get; private set; }

        /// <summary>Frames ffmpeg handed over, screened or not.</summary>
        public int FramesDecoded { get; set; }

        public double LastSeen { get; set; }

        public long LastBucket { get; set; } = long.MinValue;

        /// <summary>Time of the first scheduled frame over the budget, once there was one.</summary>
        public double? CapReachedAt { get; set; }

        public double LastScreened => ScreenedTimes.Count > 0 ? ScreenedTimes[^1] : 0;

        public void Screened(double time, bool onSchedule)
        {
            ScreenedTimes.Add(time);
            if (onSchedule)
            {
                IntervalFrames++;
            }
            else
            {
                SceneChangeFrames++;
            }
        }
    }
}
