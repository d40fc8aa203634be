namespace Compliance.Generation.Frames;

/// <summary>
/// Limits and sampling settings of a <see cref="FrameSampler"/>. Every limit exists so that one hostile or broken
/// upload cannot take unbounded time, memory or disk; the defaults suit short generated clips.
/// </summary>
public sealed record FrameSamplerOptions
{
    /// <summary>Frames per second of the fixed schedule: the first frame at or after each multiple of 1/rate. Default 1.</summary>
    public double FramesPerSecond { get; init; } = 1.0;

    /// <summary>
    /// ffmpeg scene score (0..1) above which a frame is also taken as a scene change; <c>null</c> turns scene
    /// detection off. Default 0.3.
    /// </summary>
    public double? SceneChangeThreshold { get; init; } = 0.3;

    /// <summary>Most frames returned for one video; later frames are dropped and the result says so. Default 300.</summary>
    public int MaxFrames { get; init; } = 300;

    /// <summary>Longest accepted video (probed duration); longer ones are rejected as TooLong. Default 10 minutes.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Frames are downscaled (keeping aspect, never upscaled) to fit this box. Default 1280×1280.</summary>
    public int MaxOutputWidth { get; init; } = 1280;

    /// <inheritdoc cref="MaxOutputWidth"/>
    public int MaxOutputHeight { get; init; } = 1280;

    /// <summary>Largest accepted source frame; bigger videos are rejected as TooLarge before decoding. Default 8192×8192.</summary>
    public int MaxSourceWidth { get; init; } = 8192;

    /// <inheritdoc cref="MaxSourceWidth"/>
    public int MaxSourceHeight { get; init; } = 8192;

    /// <summary>Largest accepted file in bytes; bigger ones are rejected as TooLarge. Default 512 MiB.</summary>
    public long MaxFileBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Wall-clock budget for probing and decoding one video; past it the video is rejected as Timeout. Default 2 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Folder holding the ffmpeg and ffprobe binaries; empty means "find them on PATH". Default empty.</summary>
    public string BinaryFolder { get; init; } = string.Empty;

    /// <summary>
    /// Where <see cref="FrameSampler.SampleAsync(Stream, CancellationToken)"/> spools an uploaded stream before
    /// probing it (containers such as MP4 need seeking). <c>null</c> means <see cref="Path.GetTempPath"/>.
    /// </summary>
    public string? TempDirectory { get; init; }

    internal void Validate()
    {
        if (!(FramesPerSecond > 0 && FramesPerSecond <= 60))
        {
            throw new ArgumentOutOfRangeException(nameof(FramesPerSecond), FramesPerSecond, "Must be in (0, 60].");
        }

        if (SceneChangeThreshold is { } threshold && !(threshold > 0 && threshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(SceneChangeThreshold), threshold, "Must be in (0, 1), or null to turn scene detection off.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrames, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOutputWidth, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOutputHeight, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSourceHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFileBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(BinaryFolder);
    }
}
