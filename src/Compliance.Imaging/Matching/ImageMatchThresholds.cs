namespace Compliance.Imaging.Matching;

/// <summary>
/// Decision thresholds for reference-image matching, chosen from the measured distributions in
/// docs/image-matching.md (20 real images × 7 kinds of altered copy, against every other image).
/// A query matches a reference when PDQ or the embedding says so; otherwise an embedding cosine in the
/// review band sends it to a human.
/// </summary>
public static class ImageMatchThresholds
{
    /// <summary>
    /// A PDQ Hamming distance at or below this (best of the reference's 8 dihedral hashes, both hashes of
    /// quality ≥ <see cref="Pdq.PdqHasher.MatchableQuality"/>) is a match. No impostor came within 96 bits.
    /// </summary>
    public const int PdqMaxDistance = 31;

    /// <summary>
    /// A ResNet18 cosine at or above this (best over the reference's 8 dihedral embeddings) is a match.
    /// 0.19 above the highest impostor measured (0.664); 136 of 140 altered copies reach it.
    /// </summary>
    public const float EmbeddingMatchCosine = 0.85f;

    /// <summary>
    /// A cosine at or above this but below <see cref="EmbeddingMatchCosine"/> goes to human review: 0.086 above
    /// the highest impostor, 0.046 below the weakest altered copy measured (0.796).
    /// </summary>
    public const float EmbeddingReviewCosine = 0.75f;
}
