namespace Compliance.Api.Screening;

/// <summary>
/// How much image decoding runs at once and how large the decoded pixels get (section <c>ImageDecoding</c>).
/// Decoding and classifying an upload is the most memory-hungry work the service does; docs/operations.md
/// ("Security" → "Limits") gives the peak memory of one in-flight upload, from which to size <see cref="AdmissionOptions.MaxConcurrent"/>.
/// </summary>
/// <remarks>Admission: one per core by default, 64 waiting (long enough a queue for large images to drain on two cores:
/// 64 × 40 megapixels at about 2 s each, two at a time, within the two-minute wait), Retry-After 5 s.</remarks>
internal sealed class ImageDecodingOptions() : AdmissionOptions(Section, queueLimit: 64, retryAfter: TimeSpan.FromSeconds(5))
{
    public const string Section = "ImageDecoding";

    /// <summary>
    /// Longest side of the pixels classifiers see: larger images are reduced while decoding (PDQ still hashes the
    /// full-size image). ResNet18 looks at 224 px and the face detector at 320×240, so 2048 px leaves every face the
    /// detector can find at least ~64 px across for the 112 px face embedder.
    /// </summary>
    public int MaxDecodedSide { get; set; } = 2048;

    public override IEnumerable<string> Problems()
    {
        foreach (var problem in base.Problems())
        {
            yield return problem;
        }

        if (MaxDecodedSide is < 512 or > 32_768)
        {
            yield return $"{Section}:MaxDecodedSide must be between 512 and 32768 pixels.";
        }
    }
}
