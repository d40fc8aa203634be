using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;

namespace Compliance.Classifiers.Images;

/// <summary>
/// What is stored per reference image, computed in one place for the upload endpoint and the evaluation: the image
/// is trimmed of uniform borders first (as screened images and frames are), then hashed (PDQ), embedded in its eight
/// rotations and mirrors (ResNet18) and described by ORB keypoints.
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
            PdqHasher.Hash(trimmed.Image),
            embedder.EmbedDihedral(trimmed.Image),
            LocalFeatureExtractor.DescribeReference(trimmed.Image),
            trimmed.Kept);
    }
}
