using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using FFMpegCore;
using FFMpegCore.Exceptions;

namespace Compliance.Generation.Frames;

/// <summary>
/// Takes frames out of a video with ffmpeg: every frame on a fixed schedule (the first at or after each multiple of
/// 1/<see cref="FrameSamplerOptions.FramesPerSecond"/>) plus every frame whose scene score passes the threshold, each
/// frame once, downscaled to fit the output box and returned as packed RGB24. Bad input ends in a
/// <see cref="VideoRejectedException"/>; nothing is left on disk and no ffmpeg process outlives a call.
/// Thread-safe: one instance serves concurrent calls.
/// </summary>
public sealed class FrameSampler
{
    // Selected frames need a little slack when bucketing timestamps: 3.0 s at 1 fps is bucket 3 even if the
    // timebase arithmetic lands at 2.9999999.
    private const double BucketEpsilon = 1e-6;
    private const int CopyBufferBytes = 81920;

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
    /// <exception cref="VideoRejectedException">The file is empty, not a video, corrupt, too long, too large or too slow.</exception>
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
        return new SampledVideo(summary.Metadata, frames, summary.Truncated);
    }

    /// <summary>
    /// Spools an uploaded video to a file under <see cref="FrameSamplerOptions.TempDirectory"/> (MP4 and friends need
    /// seeking, which a pipe cannot give ffmpeg), samples it, and deletes the file whatever happens. The size limit
    /// is enforced while copying, so an oversized upload is refused without being stored whole.
    /// </summary>
    public async Task<SampledVideo> SampleAsync(Stream video, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(video);
        var directory = _options.TempDirectory ?? Path.GetTempPath();
        var path = Path.Combine(directory, $"compliance-video-{Guid.NewGuid():N}.upload");
        var spool = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, CopyBufferBytes,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        await using (spool.ConfigureAwait(false))
        {
            await CopyWithLimitAsync(video, spool, ct).ConfigureAwait(false);
            await spool.FlushAsync(ct).ConfigureAwait(false);
            return await SampleAsync(path, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Samples the video and hands each frame to <paramref name="onFrame"/> as it is decoded, so a long video is
    /// never held in memory. The frame's pixel memory is reused: it is valid only until the returned task completes;
    /// copy it to keep it.
    /// </summary>
    /// <exception cref="VideoRejectedException">The file is empty, not a video, corrupt, too long, too large or too slow.</exception>
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

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(_options.Timeout);
        try
        {
            var metadata = await ProbeAsync(path, budget.Token).ConfigureAwait(false);
            return await DecodeAsync(path, metadata, onFrame, budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (budget.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new VideoRejectedException(VideoRejectionReason.Timeout,
                $"Sampling did not finish within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", ex);
        }
    }

    private async Task<VideoMetadata> ProbeAsync(string path, CancellationToken ct)
    {
        IMediaAnalysis analysis;
        try
        {
            analysis = await FFProbe.AnalyseAsync(path, _ffOptions, customArguments: null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested
            && ex is FFProbeProcessException or FormatNullException or JsonException or FormatException or OverflowException)
        {
            // ffprobe refuses random bytes and a truncated MP4 alike; the magic bytes tell which one this is.
            var looksLikeVideo = await ContainerSniffer.LooksLikeVideoContainerAsync(path, ct).ConfigureAwait(false);
            throw looksLikeVideo
                ? new VideoRejectedException(VideoRejectionReason.Corrupt, "The video container cannot be read (truncated or damaged).", ex)
                : new VideoRejectedException(VideoRejectionReason.NotAVideo, "The file is not a video.", ex);
        }

        ct.ThrowIfCancellationRequested();

        // Image "containers" (a PNG or JPEG, even renamed .mp4) probe as a one-frame video stream; cover art in an
        // audio file is a video stream flagged attached_pic. Neither is a video.
        var format = analysis.Format.FormatName ?? string.Empty;
        var stream = analysis.VideoStreams
            .Where(s => s.Disposition is null || !s.Disposition.TryGetValue("attached_pic", out var isPicture) || !isPicture)
            .OrderBy(s => s.Index)
            .FirstOrDefault();
        if (stream is null || format.EndsWith("_pipe", StringComparison.Ordinal) || format is "image2" or "gif" or "apng")
        {
            throw new VideoRejectedException(VideoRejectionReason.NotAVideo,
                stream is null ? "The file has no video stream." : $"The file is a still image ({format}), not a video.");
        }

        if (stream.Width is not > 0 || stream.Height is not > 0)
        {
            throw new VideoRejectedException(VideoRejectionReason.Corrupt, "The video stream declares no frame size.");
        }

        if (stream.Width > _options.MaxSourceWidth || stream.Height > _options.MaxSourceHeight)
        {
            throw new VideoRejectedException(VideoRejectionReason.TooLarge,
                $"The video is {stream.Width}×{stream.Height}; the limit is {_options.MaxSourceWidth}×{_options.MaxSourceHeight}.");
        }

        var duration = analysis.Duration;
        if (duration > _options.MaxDuration)
        {
            throw new VideoRejectedException(VideoRejectionReason.TooLong,
                $"The video lasts {duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s; the limit is {_options.MaxDuration.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.");
        }

        var fps = double.IsFinite(stream.AverageFrameRate) && stream.AverageFrameRate > 0 ? stream.AverageFrameRate
            : double.IsFinite(stream.RealFrameRate) && stream.RealFrameRate > 0 ? stream.RealFrameRate : 0;
        return new VideoMetadata(duration, stream.Width.Value, stream.Height.Value, stream.CodecName ?? string.Empty, fps, format, stream.Rotation);
    }

    private async Task<SamplingSummary> DecodeAsync(
        string path, VideoMetadata metadata, Func<SampledFrame, CancellationToken, ValueTask> onFrame, CancellationToken ct)
    {
        var (width, height) = OutputSize(metadata, _options.MaxOutputWidth, _options.MaxOutputHeight);
        var frameBytes = checked(width * height * 3);
        var startInfo = new ProcessStartInfo(GlobalFFOptions.GetFFMpegBinaryPath(_ffOptions))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in FfmpegArguments(path, width, height))
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
        try
        {
            var (count, truncated, partial) = await ReadFramesAsync(
                process.StandardOutput.BaseStream, stamps.Reader, width, height, frameBytes, onFrame, ct).ConfigureAwait(false);
            if (truncated)
            {
                Kill(process);
            }

            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            await stderr.ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (!truncated && (process.ExitCode != 0 || partial || count == 0))
            {
                var why = count == 0 ? "no frame could be decoded" : $"ffmpeg stopped with exit code {process.ExitCode}";
                throw new VideoRejectedException(VideoRejectionReason.Corrupt, $"The video cannot be decoded: {why}. {log.Diagnostics}".TrimEnd());
            }

            return new SamplingSummary(metadata, count, truncated);
        }
        finally
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await ObserveAsync(stderr).ConfigureAwait(false);
        }
    }

    private async Task<(int Count, bool Truncated, bool Partial)> ReadFramesAsync(
        Stream stdout,
        ChannelReader<FrameStamp> stamps,
        int width,
        int height,
        int frameBytes,
        Func<SampledFrame, CancellationToken, ValueTask> onFrame,
        CancellationToken ct)
    {
        var pixels = new byte[frameBytes];
        var rate = _options.FramesPerSecond;
        var threshold = _options.SceneChangeThreshold;
        var count = 0;
        long previousBucket = long.MinValue;
        while (true)
        {
            var read = await stdout.ReadAtLeastAsync(pixels, frameBytes, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (read == 0)
            {
                return (count, false, false);
            }

            if (read < frameBytes)
            {
                return (count, false, true);
            }

            if (count == _options.MaxFrames)
            {
                return (count, true, false); // ffmpeg was asked for one frame more than the limit: this is it.
            }

            if (!await stamps.WaitToReadAsync(ct).ConfigureAwait(false) || !stamps.TryRead(out var stamp))
            {
                throw new InvalidOperationException("ffmpeg wrote a frame without its metadata line; the filter chain and the log parser disagree.");
            }

            // The select expression keeps the first frame of every 1/rate bucket, so a frame opening a new bucket
            // among the selected ones is the interval frame; a second frame in the same bucket came in as a cut.
            var bucket = (long)Math.Floor((stamp.TimestampSeconds * rate) + BucketEpsilon);
            var reason = bucket != previousBucket ? FrameReason.Interval : 0;
            if (threshold is { } t && stamp.SceneScore is { } score && score > t)
            {
                reason |= FrameReason.SceneChange;
            }

            previousBucket = bucket;
            var frame = new SampledFrame(count, stamp.TimestampSeconds, reason == 0 ? FrameReason.Interval : reason,
                threshold is null ? null : stamp.SceneScore, width, height, pixels);
            await onFrame(frame, ct).ConfigureAwait(false);
            count++;
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
    /// </summary>
    internal IReadOnlyList<string> FfmpegArguments(string path, int width, int height)
    {
        var inv = CultureInfo.InvariantCulture;
        return
        [
            "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
            "-t", _options.MaxDuration.TotalSeconds.ToString("R", inv), // stops reading early if the container under-declared its duration
            "-i", "file:" + path,
            "-map", "0:V:0", "-an", "-sn", "-dn",
            "-vf", FilterChain(_options.FramesPerSecond, _options.SceneChangeThreshold, width, height),
            "-fps_mode", "vfr",
            "-frames:v", (_options.MaxFrames + 1).ToString(inv),
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
        ];
    }

    /// <summary>
    /// select keeps the first frame of each 1/rate bucket (a fixed grid, unlike "1/rate after the last selected
    /// frame", which a cut would shift) and every frame whose scene score passes the threshold; a frame meeting both
    /// is one frame. scale fits the output box; the metadata filters print each kept frame's pts_time and scene score.
    /// </summary>
    internal static string FilterChain(double rate, double? sceneThreshold, int width, int height)
    {
        var inv = CultureInfo.InvariantCulture;
        var r = rate.ToString("R", inv);
        var select = $"isnan(prev_pts)+gt(floor(t*{r}+{BucketEpsilon.ToString("R", inv)})\\,floor(prev_pts*TB*{r}+{BucketEpsilon.ToString("R", inv)}))";
        if (sceneThreshold is { } threshold)
        {
            select += $"+gt(scene\\,{threshold.ToString("R", inv)})";
        }

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

    private async Task CopyWithLimitAsync(Stream source, Stream destination, CancellationToken ct)
    {
        var buffer = new byte[CopyBufferBytes];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > _options.MaxFileBytes)
            {
                throw new VideoRejectedException(VideoRejectionReason.TooLarge,
                    $"The upload exceeds the limit of {_options.MaxFileBytes} bytes.");
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
        }
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
}
