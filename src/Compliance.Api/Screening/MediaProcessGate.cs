using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Screening;

/// <summary>
/// Admits at most <see cref="AdmissionOptions.MaxConcurrent"/> uploads at a time to the work that starts
/// processes — screening a video (ffmpeg samples frames, fpcalc hears the soundtrack, frames are classified on every
/// core) and fingerprinting a reference recording (ffprobe, fpcalc) — queues up to
/// <see cref="AdmissionOptions.QueueLimit"/> more, and answers the rest 503 with Retry-After (ADR-047). Each
/// such upload can hold two processes of up to 1 GiB of address space for minutes: without a bound, a burst of them
/// starves every other request of CPU and memory. The generation pipeline's frame gate is bounded by its own job pool.
/// </summary>
internal sealed class MediaProcessGate(IOptions<MediaProcessingOptions> options, IMeterFactory meters) : AdmissionGate(
    options.Value.MaxConcurrent, options.Value.QueueLimit, options.Value.MaxQueueWait, options.Value.RetryAfter, "Video and audio uploads", "media_process", meters);

/// <summary>How many video screenings and reference-audio fingerprintings run at once on a node (section <c>MediaProcessing</c>):
/// one per core by default (a video already uses every core for its frames), 16 waiting, Retry-After 15 s.</summary>
internal sealed class MediaProcessingOptions() : AdmissionOptions(Section, queueLimit: 16, retryAfter: TimeSpan.FromSeconds(15))
{
    public const string Section = "MediaProcessing";
}
