namespace Compliance.Generation.Generators;

/// <summary>Why a generation failed; the pipeline records it with the job and decides whether a retry makes sense.</summary>
public enum GenerationFailureKind
{
    /// <summary>The request is outside what this generator can make (duration, size, prompt length, a bad asset).</summary>
    InvalidRequest,

    /// <summary>The provider or the encoder refused or failed in a way that repeating the same request will not fix.</summary>
    Permanent,

    /// <summary>Rate limits, server errors or network failures outlasted every retry; trying later may work.</summary>
    TransientExhausted,

    /// <summary>
    /// The provider's own safety system refused the prompt or the output. Not an error of ours: the pipeline records
    /// it in the decision log as a signal (<see cref="GenerationFailedException.ProviderCode"/> and
    /// <see cref="GenerationFailedException.ProviderMessage"/> say what the provider said).
    /// </summary>
    SafetyRefusal,

    /// <summary>The provider's finished video could no longer be downloaded (its link expired: 404 or 410).</summary>
    ContentExpired,

    /// <summary>The generator's overall time budget ran out.</summary>
    Timeout,

    /// <summary>The caller cancelled (e.g. the host is shutting down).</summary>
    Cancelled,
}

/// <summary>
/// A generation that did not produce a video, with a typed <see cref="Kind"/> and what is known about the cause. Its
/// message never contains credentials.
/// </summary>
public sealed class GenerationFailedException : Exception
{
    public GenerationFailedException(
        GenerationFailureKind kind,
        string generator,
        string message,
        Exception? innerException = null,
        string? providerJobId = null,
        string? providerCode = null,
        string? providerMessage = null,
        int? httpStatus = null,
        string? diagnostics = null)
        : base(message, innerException)
    {
        Kind = kind;
        Generator = generator;
        ProviderJobId = providerJobId;
        ProviderCode = providerCode;
        ProviderMessage = providerMessage;
        HttpStatus = httpStatus;
        Diagnostics = diagnostics;
    }

    public GenerationFailureKind Kind { get; }

    /// <summary>The generator that failed.</summary>
    public string Generator { get; }

    /// <summary>The provider's job id when a job had been created.</summary>
    public string? ProviderJobId { get; }

    /// <summary>The provider's error code (e.g. <c>moderation_blocked</c>), when it gave one.</summary>
    public string? ProviderCode { get; }

    /// <summary>The provider's error message, when it gave one.</summary>
    public string? ProviderMessage { get; }

    /// <summary>The HTTP status of the last answer that decided the failure, for hosted generators.</summary>
    public int? HttpStatus { get; }

    /// <summary>Tool output that explains the failure (the tail of ffmpeg's stderr for the local generator).</summary>
    public string? Diagnostics { get; }
}
