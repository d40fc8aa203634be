using Compliance.Imaging.Decoding;

namespace Compliance.Faces;

/// <summary>Why a reference photo was refused for enrolment.</summary>
public enum EnrolmentRejectionReason
{
    /// <summary>The bytes are not a decodable image (corrupt, truncated, too large, unknown format).</summary>
    UnreadableImage,

    /// <summary>No face was found.</summary>
    NoFace,

    /// <summary>More than one face was found: whose likeness is being enrolled is ambiguous.</summary>
    MultipleFaces,

    /// <summary>The face is smaller than <see cref="Enrolment.MinFaceSize"/> pixels.</summary>
    FaceTooSmall,

    /// <summary>The detector is unsure or the aligned face is too blurred.</summary>
    LowQuality,

    /// <summary>The liveness model thinks the face is a photo of a photo or screen.</summary>
    SpoofSuspected,
}

/// <summary>The outcome of an enrolment check: <see cref="EnrolmentAccepted"/> or <see cref="EnrolmentRejected"/>.</summary>
public abstract record EnrolmentOutcome;

/// <summary>The photo holds exactly one usable face.</summary>
public sealed record EnrolmentAccepted(DetectedFace Face) : EnrolmentOutcome;

/// <summary>The photo was refused; <paramref name="Message"/> says why in words a likeness owner can act on.</summary>
public sealed record EnrolmentRejected(EnrolmentRejectionReason Reason, string Message) : EnrolmentOutcome;

/// <summary>
/// The checks a likeness owner's reference photo must pass before its embedding is enrolled: exactly one face, large
/// and sharp enough to give a stable embedding, and not a presentation attack. Thresholds are measured in
/// docs/likeness.md.
/// </summary>
public static class Enrolment
{
    /// <summary>Shorter side of the face box, in pixels. Below this the 112×112 aligned face is an upscale and embeddings drift.</summary>
    public const float MinFaceSize = 80f;

    /// <summary>Detection probability below which the face is not trusted as a reference.</summary>
    public const float MinDetectionScore = 0.90f;

    /// <summary>Laplacian variance of the aligned face below which it is too blurred to enrol.</summary>
    public const float MinSharpness = 40f;

    /// <summary>
    /// Spoof score (1 − P(live)) above which the photo is refused as a likely photo of a print or screen: the point where
    /// the liveness model rates "not live" likelier than "live". Greyscale photos score high (docs/likeness.md).
    /// </summary>
    public const float MaxSpoofScore = 0.50f;

    /// <summary>Checks the faces <see cref="FacePipeline.Analyze"/> found in one reference photo.</summary>
    public static EnrolmentOutcome Check(IReadOnlyList<DetectedFace> faces)
    {
        ArgumentNullException.ThrowIfNull(faces);
        if (faces.Count == 0)
        {
            return new EnrolmentRejected(EnrolmentRejectionReason.NoFace, "No face was found in the photo.");
        }

        if (faces.Count > 1)
        {
            return new EnrolmentRejected(
                EnrolmentRejectionReason.MultipleFaces,
                $"{faces.Count} faces were found; a reference photo must show exactly one person.");
        }

        var face = faces[0];
        if (face.Quality.FaceSize < MinFaceSize)
        {
            return new EnrolmentRejected(
                EnrolmentRejectionReason.FaceTooSmall,
                $"The face is {face.Quality.FaceSize:0} pixels across; at least {MinFaceSize:0} are needed.");
        }

        if (face.Quality.DetectionScore < MinDetectionScore)
        {
            return new EnrolmentRejected(
                EnrolmentRejectionReason.LowQuality,
                $"The face is not clearly visible (detection score {face.Quality.DetectionScore:0.00}, at least {MinDetectionScore:0.00} needed).");
        }

        if (face.Quality.Sharpness < MinSharpness)
        {
            return new EnrolmentRejected(
                EnrolmentRejectionReason.LowQuality,
                $"The face is too blurred (sharpness {face.Quality.Sharpness:0}, at least {MinSharpness:0} needed).");
        }

        if (face.SpoofScore > MaxSpoofScore)
        {
            return new EnrolmentRejected(
                EnrolmentRejectionReason.SpoofSuspected,
                $"The photo looks like a picture of a photo or a screen (spoof score {face.SpoofScore:0.00}, at most {MaxSpoofScore:0.00} allowed).");
        }

        return new EnrolmentAccepted(face);
    }

    /// <summary>Decodes an uploaded reference photo and checks it; an undecodable upload is a rejection, not an exception.</summary>
    public static EnrolmentOutcome Check(FacePipeline pipeline, SafeImageDecoder decoder, ReadOnlySpan<byte> encoded)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(decoder);
        DecodedImage image;
        try
        {
            image = decoder.Decode(encoded);
        }
        catch (ImageRejectedException e)
        {
            return new EnrolmentRejected(EnrolmentRejectionReason.UnreadableImage, $"The photo could not be read: {e.Message}");
        }

        return Check(pipeline.Analyze(image));
    }
}
