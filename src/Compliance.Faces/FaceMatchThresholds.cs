namespace Compliance.Faces;

/// <summary>How a cosine similarity between a frame's face and an enrolled face is read.</summary>
public enum FaceMatchVerdict
{
    /// <summary>Below <see cref="FaceMatchThresholds.ReviewFrom"/>: a different person.</summary>
    NoMatch,

    /// <summary>Between the thresholds: a human decides.</summary>
    Review,

    /// <summary>At or above <see cref="FaceMatchThresholds.Match"/>: the same person.</summary>
    Match,
}

/// <summary>
/// Cosine thresholds for the default embedder (fr_feature, sha256 87aacdfe5751…), chosen in docs/likeness.md from
/// measured genuine and impostor distributions. Another embedder needs its own calibration.
/// </summary>
public static class FaceMatchThresholds
{
    /// <summary>Cosine at or above which two faces are the same person.</summary>
    public const float Match = 0.50f;

    /// <summary>Cosine from which (up to <see cref="Match"/>) a match goes to human review.</summary>
    public const float ReviewFrom = 0.35f;

    /// <summary>Reads a cosine similarity.</summary>
    public static FaceMatchVerdict Classify(float cosine) =>
        cosine >= Match ? FaceMatchVerdict.Match
        : cosine >= ReviewFrom ? FaceMatchVerdict.Review
        : FaceMatchVerdict.NoMatch;
}
