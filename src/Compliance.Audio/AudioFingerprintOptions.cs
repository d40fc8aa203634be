using System.ComponentModel.DataAnnotations;

namespace Compliance.Audio;

/// <summary>Limits and tools of <see cref="AudioFingerprinter"/>; bound from the <c>Audio</c> section.</summary>
public sealed class AudioFingerprintOptions
{
    public const string Section = "Audio";

    /// <summary>Chromaprint's fpcalc (Debian package libchromaprint-tools), a name on PATH or a full path.</summary>
    [Required]
    public string FpcalcPath { get; set; } = "fpcalc";

    /// <summary>ffprobe, run first to read the declared duration and channel count.</summary>
    [Required]
    public string FfprobePath { get; set; } = "ffprobe";

    /// <summary>Longer audio is refused (declared by the container, or found while decoding).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "12:00:00")]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>More channels than this is refused before decoding: hundreds of channels are an attack, not a song.</summary>
    [Range(1, 64)]
    public int MaxChannels { get; set; } = 8;

    /// <summary>A stream larger than this is refused while it is spooled.</summary>
    [Range(1L, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>The whole job — probe and fingerprint — is killed after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Address-space limit of each child process (applied with util-linux prlimit where it exists).</summary>
    [Range(64L * 1024 * 1024, long.MaxValue)]
    public long ProcessMemoryBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Where uploads are spooled; the system temp folder when empty.</summary>
    public string? SpoolFolder { get; set; }
}
