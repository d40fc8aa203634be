using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Screening;

/// <summary>
/// Admits at most <see cref="MediaProcessingOptions.MaxConcurrent"/> uploads at a time to the work that starts
/// processes — screening a video (ffmpeg samples frames, fpcalc hears the soundtrack, frames are classified on every
/// core) and fingerprinting a reference recording (ffprobe, fpcalc) — queues up to
/// <see cref="MediaProcessingOptions.QueueLimit"/> more, and answers the rest 503 with Retry-After (ADR-047). Each
/// such upload can hold two processes of up to 1 GiB of address space for minutes: without a bound, a burst of them
/// starves every other request of CPU and memory. The generation pipeline's frame gate is bounded by its own job pool.
/// </summary>
internal sealed class MediaProcessGate(IOptions<MediaProcessingOptions> options, IMeterFactory meters) : AdmissionGate(
    options.Value.MaxConcurrent, options.Value.QueueLimit, options.Value.MaxQueueWait, options.Value.RetryAfter, "Video and audio uploads", "media_process", meters);

/// <summary>How many video screenings and reference-audio fingerprintings run at once on a node (section <c>MediaProcessing</c>).</summary>
internal sealed class MediaProcessingOptions
{
    public const string Section = "MediaProcessing";

    /// <summary>Uploads processed at the same time; one per core by default (a video already uses every core for its frames).</summary>
    public int MaxConcurrent { get; set; } = Environment.ProcessorCount;

    /// <summary>Uploads that may wait, oldest first; one more is answered 503. Waiting uploads are spooled to disk by the form reader.</summary>
    public int QueueLimit { get; set; } = 16;

    /// <summary>How long an upload may wait for a slot before it too is answered 503.</summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The Retry-After given with a 503.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Refuses start-up with every problem named.</summary>
    internal sealed class Validator : IValidateOptions<MediaProcessingOptions>
    {
        public ValidateOptionsResult Validate(string? name, MediaProcessingOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    public IEnumerable<string> Problems()
    {
        if (MaxConcurrent < 1)
        {
            yield return "MediaProcessing:MaxConcurrent must be at least 1.";
        }

        if (QueueLimit < 0)
        {
            yield return "MediaProcessing:QueueLimit must not be negative.";
        }

        if (MaxQueueWait <= TimeSpan.Zero || RetryAfter < TimeSpan.FromSeconds(1))
        {
            yield return "MediaProcessing:MaxQueueWait must be positive and MediaProcessing:RetryAfter at least one second.";
        }
    }
}
