namespace Compliance.Generation.Frames;

/// <summary>Why a video could not be sampled. Each is the caller's input at fault, never the service.</summary>
public enum VideoRejectionReason
{
    /// <summary>The file or upload has no bytes.</summary>
    Empty,

    /// <summary>The bytes are not a video container (random data, an image, audio only).</summary>
    NotAVideo,

    /// <summary>It looks like a video container but cannot be probed or decoded to the end (e.g. truncated).</summary>
    Corrupt,

    /// <summary>The probed duration exceeds <see cref="FrameSamplerOptions.MaxDuration"/>.</summary>
    TooLong,

    /// <summary>The file exceeds <see cref="FrameSamplerOptions.MaxFileBytes"/> or its frames the source size limit.</summary>
    TooLarge,

    /// <summary>Probing and decoding did not finish within <see cref="FrameSamplerOptions.Timeout"/>.</summary>
    Timeout,
}

/// <summary>
/// A video the sampler refuses, with a typed <see cref="Reason"/> an endpoint maps to a 4xx answer. Thrown only for
/// bad input; a missing ffmpeg binary or the caller's own cancellation surface as other exceptions.
/// </summary>
public sealed class VideoRejectedException : Exception
{
    public VideoRejectedException(VideoRejectionReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public VideoRejectionReason Reason { get; }
}
