using Microsoft.Extensions.Options;

namespace Compliance.Api.Screening;

/// <summary>
/// How much image decoding runs at once and how large the decoded pixels get (section <c>ImageDecoding</c>).
/// Decoding and classifying an upload is the most memory-hungry work the service does; docs/operations.md
/// ("Security" → "Limits") gives the peak memory of one in-flight upload, from which to size <see cref="MaxConcurrent"/>.
/// </summary>
internal sealed class ImageDecodingOptions
{
    public const string Section = "ImageDecoding";

    /// <summary>Uploads decoded and classified at the same time (image screening, reference images, face enrolment); one per core by default.</summary>
    public int MaxConcurrent { get; set; } = Environment.ProcessorCount;

    /// <summary>Uploads that may wait for a slot, oldest first; one more is answered 503 with Retry-After. Waiting uploads hold their bytes on disk, not in memory.</summary>
    public int QueueLimit { get; set; } = 64;

    /// <summary>
    /// How long an upload may wait for a slot before it too is answered 503: long enough for a full queue of large
    /// images to drain on two cores (64 × 40 megapixels at about 2 s each, two at a time), short of a client's patience.
    /// </summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The Retry-After given with a 503.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest side of the pixels classifiers see: larger images are reduced while decoding (PDQ still hashes the
    /// full-size image). ResNet18 looks at 224 px and the face detector at 320×240, so 2048 px leaves every face the
    /// detector can find at least ~64 px across for the 112 px face embedder.
    /// </summary>
    public int MaxDecodedSide { get; set; } = 2048;

    /// <summary>Refuses start-up with every problem named.</summary>
    internal sealed class Validator : IValidateOptions<ImageDecodingOptions>
    {
        public ValidateOptionsResult Validate(string? name, ImageDecodingOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    public IEnumerable<string> Problems()
    {
        if (MaxConcurrent < 1)
        {
            yield return "ImageDecoding:MaxConcurrent must be at least 1.";
        }

        if (QueueLimit < 0)
        {
            yield return "ImageDecoding:QueueLimit must not be negative.";
        }

        if (MaxQueueWait <= TimeSpan.Zero || RetryAfter < TimeSpan.FromSeconds(1))
        {
            yield return "ImageDecoding:MaxQueueWait must be positive and ImageDecoding:RetryAfter at least one second.";
        }

        if (MaxDecodedSide is < 512 or > 32_768)
        {
            yield return "ImageDecoding:MaxDecodedSide must be between 512 and 32768 pixels.";
        }
    }
}
