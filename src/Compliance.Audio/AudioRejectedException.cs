namespace Compliance.Audio;

/// <summary>Why audio could not be fingerprinted. Each is the caller's input at fault, never the service.</summary>
public enum AudioRejectionReason
{
    /// <summary>The file or upload has no bytes, or decodes to no audio at all.</summary>
    Empty,

    /// <summary>The bytes are not an accepted audio container (text, a playlist, an ffconcat script, an image, ...).</summary>
    NotAudio,

    /// <summary>It looks like an accepted container but cannot be probed or decoded.</summary>
    Corrupt,

    /// <summary>The container holds no audio stream at all (a silent video): nothing to fingerprint, which is not damage.</summary>
    NoAudioStream,

    /// <summary>The declared or decoded duration exceeds <see cref="AudioFingerprintOptions.MaxDuration"/>.</summary>
    TooLong,

    /// <summary>The audio stream has more channels than <see cref="AudioFingerprintOptions.MaxChannels"/>.</summary>
    TooManyChannels,

    /// <summary>
    /// The file has more than one audio stream: fpcalc hears only one of them, so the others would go unheard. Refused
    /// rather than half screened.
    /// </summary>
    MultipleAudioStreams,

    /// <summary>The upload exceeds <see cref="AudioFingerprintOptions.MaxFileBytes"/>.</summary>
    TooLarge,

    /// <summary>Probing and fingerprinting did not finish within <see cref="AudioFingerprintOptions.Timeout"/>.</summary>
    Timeout,
}

/// <summary>
/// Audio the fingerprinter refuses, with a typed <see cref="Reason"/> an endpoint maps to a 4xx answer. Thrown only for
/// bad input; a missing fpcalc or ffprobe binary, or the caller's own cancellation, surface as other exceptions.
/// </summary>
public sealed class AudioRejectedException : Exception
{
    public AudioRejectedException(AudioRejectionReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public AudioRejectionReason Reason { get; }
}
