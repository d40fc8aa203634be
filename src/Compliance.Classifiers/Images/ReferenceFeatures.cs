using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;

namespace Compliance.Classifiers.Images;

/// <summary>
/// What is stored per reference image, computed in one place for the upload endpoint and the evaluation: the PDQ hash
/// of the whole image (the hash Meta's <c>pdq</c> tool gives, so it can be compared with hashes rights holders import),
/// and, of the image trimmed of uniform borders (as screened images and frames are), the ResNet18 embeddings of its
/// eight rotations and mirrors and its ORB keypoints. The PDQ classifier looks up a screened image's whole and trimmed
/// hashes, so a padded copy still meets the reference's hash.
/// </summary>
/// <param name="Kept">The part of the image kept after trimming, in its decoded pixels.</param>
public sealed record ReferenceFeatures(PdqResult Pdq, float[][] Embeddings, LocalFeatureSet LocalFeatures, PixelBox Kept)
{
    /// <summary>Computes every feature of one reference image.</summary>
    public static ReferenceFeatures Of(DecodedImage image, VisualEmbedder embedder)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(embedder);
        var trimmed = BorderTrimmer.Trim(image);
        return new ReferenceFeatures(
            PdqHasher.Hash(image),
            embedder.EmbedDihedral(trimmed.Image),
            LocalFeatureExtractor.DescribeReference(trimmed.Image),
            trimmed.Kept);
    }

    /// <summary>
    /// The eight dihedral embeddings alone, as <see cref="Of"/> computes them: for a stored reference whose embeddings came
    /// from another embedding recipe (<see cref="VisualEmbedder.IsComparable"/>) and are computed again from its image.
    /// </summary>
    public static float[][] EmbeddingsOf(DecodedImage image, VisualEmbedder embedder)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(embedder);
        return embedder.EmbedDihedral(BorderTrimmer.Trim(image).Image);
    }
}
