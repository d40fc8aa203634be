namespace Compliance.Generation.Generators;

/// <summary>
/// Settings and limits of the <see cref="LocalStoryboardGenerator"/>. The limits bound the work one request can cause;
/// the defaults keep a clip cheap to render and encode (a low frame rate, one encoder thread).
/// </summary>
public sealed record LocalStoryboardOptions
{
    /// <summary>Frames per second of the output, in [1, 30]. Default 10: storyboards do not need more.</summary>
    public int FramesPerSecond { get; init; } = 10;

    /// <summary>Longest video a request may ask for. Default 30 s.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest frame side in pixels. Default 1920.</summary>
    public int MaxSide { get; init; } = 1920;

    /// <summary>Largest frame area in pixels. Default 1920×1080.</summary>
    public int MaxPixels { get; init; } = 1920 * 1080;

    /// <summary>Most scenes one prompt is split into. Default 8.</summary>
    public int MaxScenes { get; init; } = 8;

    /// <summary>Longest prompt in UTF-16 code units. Default 4000.</summary>
    public int MaxPromptLength { get; init; } = 4000;

    /// <summary>Most assets per request. Default 16.</summary>
    public int MaxAssets { get; init; } = 16;

    /// <summary>Largest asset image file in bytes. Default 32 MiB.</summary>
    public long MaxAssetBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Largest asset image in pixels (the header is checked before decoding). Default 25 megapixels.</summary>
    public long MaxAssetPixels { get; init; } = 25_000_000;

    /// <summary>
    /// TrueType font for scene captions and caption assets, loaded from this file so rendering does not depend on the
    /// machine's font configuration. Default: DejaVu Sans from Debian's <c>fonts-dejavu-core</c>.
    /// </summary>
    public string FontPath { get; init; } = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    /// <summary>Folder for the generated files; <c>null</c> means <see cref="Path.GetTempPath"/>.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Folder holding the ffmpeg binary; empty means "find it on PATH".</summary>
    public string BinaryFolder { get; init; } = string.Empty;

    /// <summary>
    /// Folder of the audio assets a request may lay under its scenes by name (<see cref="GenerationRequest.Soundtrack"/>):
    /// each file directly in it is offered under its name without extension. Empty or <c>null</c>: none are offered.
    /// The files are the operator's (scripts/test-audio.sh fetches freely licensed recordings from Debian packages).
    /// </summary>
    public string? AudioAssetFolder { get; init; }

    /// <summary>Wall-clock budget for rendering and encoding one video. Default 2 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(FramesPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FramesPerSecond, 30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSide, LocalStoryboardGenerator.MinSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, LocalStoryboardGenerator.MinSide * LocalStoryboardGenerator.MinSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxScenes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPromptLength, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxAssets);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAssetBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAssetPixels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentException.ThrowIfNullOrEmpty(FontPath);
        ArgumentNullException.ThrowIfNull(BinaryFolder);
    }
}
