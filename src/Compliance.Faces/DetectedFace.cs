namespace Compliance.Faces;

/// <summary>An axis-aligned box in the original image's pixels.</summary>
public readonly record struct FaceBox(float X, float Y, float Width, float Height)
{
    /// <summary>The shorter side: what size limits are checked against.</summary>
    public float MinSide => MathF.Min(Width, Height);

    /// <summary>Intersection over union with <paramref name="other"/>: 0 for boxes that do not overlap, 1 for the same box.</summary>
    public float IntersectionOverUnion(FaceBox other)
    {
        var w = MathF.Min(X + Width, other.X + other.Width) - MathF.Max(X, other.X);
        var h = MathF.Min(Y + Height, other.Y + other.Height) - MathF.Max(Y, other.Y);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        var intersection = w * h;
        return intersection / ((Width * Height) + (other.Width * other.Height) - intersection);
    }
}

/// <summary>A point in the original image's pixels.</summary>
public readonly record struct FacePoint(float X, float Y);

/// <summary>Signals of how usable a face is for matching.</summary>
/// <param name="FaceSize">Shorter side of the face box, in original pixels.</param>
/// <param name="DetectionScore">The detector's face probability, 0–1.</param>
/// <param name="Sharpness">Variance of the Laplacian of the aligned 112×112 greyscale face (0–255 intensities); blur and upscaled tiny faces score low.</param>
public sealed record FaceQuality(float FaceSize, float DetectionScore, float Sharpness);

/// <summary>One face found by <see cref="FacePipeline.Analyze"/>.</summary>
public sealed class DetectedFace
{
    internal DetectedFace(
        FaceBox box,
        float detectionScore,
        IReadOnlyList<FacePoint> landmarks,
        IReadOnlyList<FacePoint> alignmentPoints,
        float[] embedding,
        float spoofScore,
        FaceQuality quality)
    {
        Box = box;
        DetectionScore = detectionScore;
        Landmarks = landmarks;
        AlignmentPoints = alignmentPoints;
        _embedding = embedding;
        SpoofScore = spoofScore;
        Quality = quality;
    }

    private readonly float[] _embedding;

    /// <summary>The face box (square, as the detector's post-processing makes it, clipped to the image).</summary>
    public FaceBox Box { get; }

    /// <summary>The detector's face probability, 0–1.</summary>
    public float DetectionScore { get; }

    /// <summary>The 68 landmarks (iBUG 300-W order) in original pixels.</summary>
    public IReadOnlyList<FacePoint> Landmarks { get; }

    /// <summary>The five points the face was aligned on: left eye, right eye, nose tip, left and right mouth corner (image left/right).</summary>
    public IReadOnlyList<FacePoint> AlignmentPoints { get; }

    /// <summary>The aligned face's embedding, L2-normalised: the dot product of two is their cosine similarity.</summary>
    public ReadOnlySpan<float> Embedding => _embedding;

    /// <summary>A copy of <see cref="Embedding"/>.</summary>
    public float[] EmbeddingCopy() => (float[])_embedding.Clone();

    /// <summary>Probability, 0–1, that the face is a presentation attack (printed photo, screen, mask) rather than live: 1 − P(live).</summary>
    public float SpoofScore { get; }

    /// <summary>1 − P(real) from the optional deepfake model; null when no deepfake model is configured.</summary>
    public float? DeepfakeScore { get; init; }

    /// <summary>Size, detector confidence and sharpness.</summary>
    public FaceQuality Quality { get; }

    /// <summary>The same face with its geometry (box, landmarks, size) multiplied by the given factors: from a reduced copy's pixels to the original's.</summary>
    internal DetectedFace Scaled(float x, float y)
    {
        FacePoint Scale(FacePoint p) => new(p.X * x, p.Y * y);
        var box = new FaceBox(Box.X * x, Box.Y * y, Box.Width * x, Box.Height * y);
        return new DetectedFace(
            box,
            DetectionScore,
            Landmarks.Select(Scale).ToArray(),
            AlignmentPoints.Select(Scale).ToArray(),
            _embedding,
            SpoofScore,
            Quality with { FaceSize = box.MinSide })
        {
            DeepfakeScore = DeepfakeScore,
        };
    }
}

/// <summary>A model file the pipeline loaded: its name and the first 12 hex digits of its SHA-256.</summary>
public sealed record ModelVersion(string Name, string Sha256Prefix)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}@{Sha256Prefix}";
}
