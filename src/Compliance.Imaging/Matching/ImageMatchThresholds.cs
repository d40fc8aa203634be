namespace Compliance.Imaging.Matching;

/// <summary>
/// Decision thresholds for reference-image matching, chosen from the measured distributions in
/// docs/image-matching.md (real photos and seven kinds of altered copy, against every other image).
/// </summary>
public static class ImageMatchThresholds
{
    /// <summary>A PDQ Hamming distance at or below this (best of the reference's 8 dihedral variants, both hashes of quality ≥ 50) is a match.</summary>
    public const int PdqMaxDistance = 31;

    /// <summary>A ResNet18 embedding cosine at or above this is a match.</summary>
    public const float EmbeddingMatchCosine = 0.85f;

    /// <summary>A cosine at or above this but below <see cref="EmbeddingMatchCosine"/> goes to human review.</summary>
    public const float EmbeddingReviewCosine = 0.75f;
}
