namespace Compliance.Generation.Frames;

/// <summary>
/// Limits and sampling settings of a <see cref="FrameSampler"/>. Every limit exists so that one hostile or broken
/// upload cannot take unbounded time, memory or disk; the defaults suit short generated clips. Bound from the
/// <c>Video</c> configuration section by the API.
/// </summary>
public sealed record FrameSamplerOptions
{
    /// <summary>
    /// Frames per second of the fixed schedule: the first frame at or after each multiple of 1/rate. When the video
    /// is too long for <see cref="MaxIntervalFrames"/> at this rate, the rate is lowered so the schedule still spans
    /// the whole video. Default 1.
    /// </summary>
    public double FramesPerSecond { get; init; } = 1.0;

    /// <summary>
    /// ffmpeg scene score (0..1) above which a frame is also taken as a scene change; <c>null</c> turns scene
    /// detection off. Default 0.3.
    /// </summary>
    public double? SceneChangeThreshold { get; init; } = 0.3;

    /// <summary>
    /// Most frames taken on the fixed schedule for one video. The schedule is spread over the whole duration to fit,
    /// so this sets the largest gap (duration / frames), not how far into the video screening reaches. Default 300.
    /// </summary>
    public int MaxIntervalFrames { get; init; } = 300;

    /// <summary>
    /// Most frames taken as scene changes for one video, on top of (never instead of) the fixed schedule. Default 100.
    /// </summary>
    public int MaxSceneChangeFrames { get; init; } = 100;

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

    /// <summary>
    /// Largest accepted file in bytes; bigger ones are rejected as TooLarge (an upload while it is being spooled). The
    /// API's upload limit for videos is this value. Default 200 MiB.
    /// </summary>
    public long MaxFileBytes { get; init; } = 200L * 1024 * 1024;

    /// <summary>
    /// Wall-clock budget for probing and decoding one video. Past it during the probe, or before any frame was
    /// screened, the video is rejected as Timeout; after frames were screened, the rest is reported as unscreened.
    /// Default 2 minutes.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Folder holding the ffmpeg and ffprobe binaries; empty means "find them on PATH". Default empty.</summary>
    public string BinaryFolder { get; init; } = string.Empty;

    /// <summary>
    /// Where uploaded streams are spooled before probing (containers such as MP4 need seeking).
    /// <c>null</c> means <see cref="Path.GetTempPath"/>.
    /// </summary>
    public string? TempDirectory { get; init; }

    /// <summary>Every setting that is out of range, as "Name: why" lines; empty when the options are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Check(bool ok, string name, string why)
        {
            if (!ok)
            {
                problems.Add($"{name}: {why}");
            }
        }

        Check(FramesPerSecond is > 0 and <= 60, nameof(FramesPerSecond), "must be in (0, 60].");
        Check(SceneChangeThreshold is null or (> 0 and < 1), nameof(SceneChangeThreshold), "must be in (0, 1), or null to turn scene detection off.");
        Check(MaxIntervalFrames >= 1, nameof(MaxIntervalFrames), "must be at least 1.");
        Check(MaxSceneChangeFrames >= 0, nameof(MaxSceneChangeFrames), "must not be negative.");
        Check(MaxDuration > TimeSpan.Zero, nameof(MaxDuration), "must be positive.");
        Check(MaxOutputWidth >= 16 && MaxOutputHeight >= 16, nameof(MaxOutputWidth), "the output box must be at least 16×16.");
        Check(MaxSourceWidth >= 1 && MaxSourceHeight >= 1, nameof(MaxSourceWidth), "the source limit must be at least 1×1.");
        Check(MaxFileBytes >= 1, nameof(MaxFileBytes), "must be at least 1.");
        Check(Timeout > TimeSpan.Zero, nameof(Timeout), "must be positive.");
        Check(BinaryFolder is not null, nameof(BinaryFolder), "must not be null (empty means PATH).");
        return problems;
    }

    internal void Validate()
    {
        if (Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentOutOfRangeException(nameof(FrameSamplerOptions), string.Join(" ", problems));
        }
    }
}
