using System.Runtime.InteropServices;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Trimming;
using OpenCvSharp;

namespace Compliance.Imaging.LocalFeatures;

/// <summary>
/// ORB keypoints and descriptors (OpenCV, through OpenCvSharp) of an image's luma, scaled so its longer side is a
/// fixed length: references at <see cref="ReferenceSide"/> with at most <see cref="ReferenceFeatures"/> keypoints,
/// screened images and frames at <see cref="QuerySide"/> with at most <see cref="QueryFeatures"/>. ORB works on grey
/// values and orients each keypoint, so greyscale and rotated copies keep their keypoints; its 8-level pyramid (factor
/// 1.2) covers a copy shown 3.6 times smaller or larger than the reference. Thread-safe (an ORB detector per call).
/// </summary>
public static class LocalFeatureExtractor
{
    /// <summary>Longer side, in pixels, at which a reference is described.</summary>
    public const int ReferenceSide = 512;

    /// <summary>At most this many keypoints per reference (the strongest by Harris score).</summary>
    public const int ReferenceFeatures = 500;

    /// <summary>Longer side at which a screened image or frame is described: twice the reference's, so a copy filling a quarter of the frame is at the reference's scale.</summary>
    public const int QuerySide = 1024;

    /// <summary>At most this many keypoints per screened image or frame.</summary>
    public const int QueryFeatures = 1500;

    /// <summary>Names the feature recipe in evidence and in stored rows; change it when the recipe changes.</summary>
    public const string Version = "orb-opencv/4.13 ref512x500 query1024x1500";

    /// <summary>A reference's features.</summary>
    public static LocalFeatureSet DescribeReference(DecodedImage image) => Describe(image, ReferenceSide, ReferenceFeatures);

    /// <summary>A screened image's or frame's features.</summary>
    public static LocalFeatureSet DescribeQuery(DecodedImage image) => Describe(image, QuerySide, QueryFeatures);

    /// <summary>The image's ORB features with its longer side scaled to <paramref name="longSide"/>.</summary>
    public static LocalFeatureSet Describe(DecodedImage image, int longSide, int maxFeatures)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(longSide, 32);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFeatures);

        var grey = GreyImage.From(image);
        var scale = (float)longSide / Math.Max(grey.Width, grey.Height);
        var width = Math.Max(1, (int)Math.Round(grey.Width * scale));
        var height = Math.Max(1, (int)Math.Round(grey.Height * scale));

        using var source = Mat.FromPixelData(grey.Height, grey.Width, MatType.CV_8UC1, grey.Pixels);
        using var scaled = new Mat();
        Cv2.Resize(source, scaled, new Size(width, height), 0, 0, scale < 1 ? InterpolationFlags.Area : InterpolationFlags.Linear);

        using var orb = ORB.Create(maxFeatures);
        using var descriptors = new Mat();
        orb.DetectAndCompute(scaled, null, out var keypoints, descriptors);
        var count = keypoints.Length;
        if (count == 0 || descriptors.Rows != count || descriptors.Cols != LocalFeatureSet.DescriptorBytes)
        {
            return new LocalFeatureSet(width, height, scale, [], []);
        }

        var points = new float[count * 2];
        for (var i = 0; i < count; i++)
        {
            points[2 * i] = keypoints[i].Pt.X;
            points[(2 * i) + 1] = keypoints[i].Pt.Y;
        }

        var bytes = new byte[count * LocalFeatureSet.DescriptorBytes];
        Marshal.Copy(descriptors.Data, bytes, 0, bytes.Length);
        var words = MemoryMarshal.Cast<byte, ulong>(bytes).ToArray();
        return new LocalFeatureSet(width, height, scale, points, words);
    }
}
