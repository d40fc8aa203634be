using Microsoft.Extensions.Options;

namespace Compliance.Api.Screening;

/// <summary>
/// The settings every <see cref="AdmissionGate"/> takes, in its own configuration section, and their checks: one set of
/// rules for the image-decoding and the media-process gates (each section names itself in its messages).
/// </summary>
internal abstract class AdmissionOptions(string section, int queueLimit, TimeSpan retryAfter)
{
    /// <summary>Work admitted at the same time; one per core by default.</summary>
    public int MaxConcurrent { get; set; } = Environment.ProcessorCount;

    /// <summary>Work that may wait for a slot, oldest first; one more is answered 503 with Retry-After. Waiting uploads
    /// hold their bytes on disk (the form reader spools them), not in memory.</summary>
    public int QueueLimit { get; set; } = queueLimit;

    /// <summary>How long work may wait for a slot before it too is answered 503.</summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The Retry-After given with a 503.</summary>
    public TimeSpan RetryAfter { get; set; } = retryAfter;

    /// <summary>Every problem with these settings, each naming its key.</summary>
    public virtual IEnumerable<string> Problems()
    {
        if (MaxConcurrent < 1)
        {
            yield return $"{section}:MaxConcurrent must be at least 1.";
        }

        if (QueueLimit < 0)
        {
            yield return $"{section}:QueueLimit must not be negative.";
        }

        if (MaxQueueWait <= TimeSpan.Zero || RetryAfter < TimeSpan.FromSeconds(1))
        {
            yield return $"{section}:MaxQueueWait must be positive and {section}:RetryAfter at least one second.";
        }
    }

    /// <summary>Refuses start-up with every problem named.</summary>
    internal sealed class Validator<T> : IValidateOptions<T>
        where T : AdmissionOptions
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
