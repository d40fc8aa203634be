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
/// <para>
/// Smooth pictures (ADR-032): FAST's default threshold (20 grey levels) finds almost no corners on a fruit skin, a
/// blurred micrograph or a motion-blurred photo. A reference that yields fewer than <see cref="ReferenceMinKeypoints"/>
/// is described again at lower thresholds (<see cref="ReferenceFastThresholds"/>) until it does; a screened image is
/// detected at <see cref="QueryFastThreshold"/> with <see cref="QueryCandidates"/> candidates, of which the strongest
/// <see cref="QueryFeatures"/> are kept with a quota per cell of a <see cref="QueryGrid"/>×<see cref="QueryGrid"/>
/// grid, so a smooth copy inside a busy frame keeps keypoints instead of losing them all to the scene's sharper
/// corners (the grid and the 20 → 7 thresholds are ORB-SLAM's practice).
/// </para>
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

    /// <summary>FAST thresholds tried in turn for a reference until it has <see cref="ReferenceMinKeypoints"/> keypoints.</summary>
    public static IReadOnlyList<int> ReferenceFastThresholds { get; } = [20, 12, 7, 4, 2];

    /// <summary>A reference with fewer keypoints than this at one threshold is described again at the next lower one.</summary>
    public const int ReferenceMinKeypoints = 300;

    /// <summary>FAST threshold for screened images and frames.</summary>
    public const int QueryFastThreshold = 7;

    /// <summary>Keypoints ORB returns for a screened image before the grid keeps <see cref="QueryFeatures"/> of them.</summary>
    public const int QueryCandidates = 3 * QueryFeatures;

    /// <summary>Cells per side of the grid whose quota spreads a screened image's keypoints over the picture.</summary>
    public const int QueryGrid = 8;

    /// <summary>How references are described; stored with each reference's keypoints.</summary>
    public const string ReferenceRecipe = "orb-opencv/4.13 ref512x500 fast20..2 min300";

    /// <summary>
    /// The recipe stored with references described before ADR-032 (FAST 20 only). Its keypoints are the same kind at
    /// the same scale, so they are still matched; a smooth reference described by it simply has fewer of them.
    /// </summary>
    public const string PreviousReferenceRecipe = "orb-opencv/4.13 ref512x500 query1024x1500";

    /// <summary>How screened images and frames are described.</summary>
    public const string QueryRecipe = "query1024x1500 fast7 cand4500 grid8";

    /// <summary>Names both recipes in evidence.</summary>
    public const string Version = ReferenceRecipe + " " + QueryRecipe;

    /// <summary>Whether keypoints stored under <paramref name="storedRecipe"/> can be matched against this build's queries.</summary>
    public static bool IsComparable(string? storedRecipe) =>
        storedRecipe is ReferenceRecipe or PreviousReferenceRecipe;

    /// <summary>A reference's features.</summary>
    public static LocalFeatureSet DescribeReference(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scaled = Scaled(image, ReferenceSide, out var scale);
        LocalFeatureSet? described = null;
        foreach (var threshold in ReferenceFastThresholds)
        {
            described = Detect(scaled, scale, ReferenceFeatures, threshold, ReferenceFeatures, grid: 1);
            if (described.Count >= ReferenceMinKeypoints)
            {
                break;
            }
        }

        return described!;
    }

    /// <summary>A screened image's or frame's features.</summary>
    public static LocalFeatureSet DescribeQuery(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scaled = Scaled(image, QuerySide, out var scale);
        return Detect(scaled, scale, QueryCandidates, QueryFastThreshold, QueryFeatures, QueryGrid);
    }

    /// <summary>
    /// The image's ORB features with its longer side scaled to <paramref name="longSide"/>, at OpenCV's defaults
    /// (FAST threshold 20, the strongest <paramref name="maxFeatures"/>): the query recipe before ADR-032, kept for
    /// same-run comparisons in the benches.
    /// </summary>
    public static LocalFeatureSet Describe(DecodedImage image, int longSide, int maxFeatures)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(longSide, 32);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFeatures);
        using var scaled = Scaled(image, longSide, out var scale);
        return Detect(scaled, scale, maxFeatures, fastThreshold: 20, maxFeatures, grid: 1);
    }

    private static Mat Scaled(DecodedImage image, int longSide, out float scale)
    {
        var grey = GreyImage.From(image);
        scale = (float)longSide / Math.Max(grey.Width, grey.Height);
        var width = Math.Max(1, (int)Math.Round(grey.Width * scale));
        var height = Math.Max(1, (int)Math.Round(grey.Height * scale));

        using var source = Mat.FromPixelData(grey.Height, grey.Width, MatType.CV_8UC1, grey.Pixels);
        var scaled = new Mat();
        Cv2.Resize(source, scaled, new Size(width, height), 0, 0, scale < 1 ? InterpolationFlags.Area : InterpolationFlags.Linear);
        return scaled;
    }

    private static LocalFeatureSet Detect(Mat scaled, float scale, int candidates, int fastThreshold, int keep, int grid)
    {
        using var orb = ORB.Create(candidates, fastThreshold: fastThreshold);
        using var descriptors = new Mat();
        orb.DetectAndCompute(scaled, null, out var keypoints, descriptors);
        var count = keypoints.Length;
        if (count == 0 || descriptors.Rows != count || descriptors.Cols != LocalFeatureSet.DescriptorBytes)
        {
            return new LocalFeatureSet(scaled.Width, scaled.Height, scale, [], []);
        }

        var all = new byte[count * LocalFeatureSet.DescriptorBytes];
        Marshal.Copy(descriptors.Data, all, 0, all.Length);
        var chosen = Choose(keypoints, scaled.Width, scaled.Height, keep, grid);

        var points = new float[chosen.Length * 2];
        var bytes = new byte[chosen.Length * LocalFeatureSet.DescriptorBytes];
        for (var i = 0; i < chosen.Length; i++)
        {
            var k = chosen[i];
            points[2 * i] = keypoints[k].Pt.X;
            points[(2 * i) + 1] = keypoints[k].Pt.Y;
            all.AsSpan(k * LocalFeatureSet.DescriptorBytes, LocalFeatureSet.DescriptorBytes).CopyTo(bytes.AsSpan(i * LocalFeatureSet.DescriptorBytes));
        }

        return new LocalFeatureSet(scaled.Width, scaled.Height, scale, points, MemoryMarshal.Cast<byte, ulong>(bytes).ToArray());
    }

    /// <summary>
    /// Which keypoints to keep: all of them, in ORB's order, without a grid (ORB has already kept its strongest);
    /// otherwise the strongest (Harris response) first, each cell of a <paramref name="grid"/>×<paramref name="grid"/> grid taking at most its share, then the
    /// strongest of the rest until <paramref name="keep"/> are chosen.
    /// </summary>
    internal static int[] Choose(KeyPoint[] keypoints, int width, int height, int keep, int grid)
    {
        if (keypoints.Length <= keep || grid <= 1)
        {
            return [.. Enumerable.Range(0, keypoints.Length)];
        }

        var byStrength = Enumerable.Range(0, keypoints.Length).OrderByDescending(i => keypoints[i].Response).ThenBy(i => i).ToArray();

        var quota = keep / (grid * grid);
        var inCell = new int[grid * grid];
        var taken = new bool[keypoints.Length];
        var chosen = new List<int>(keep);
        foreach (var i in byStrength)
        {
            var column = Math.Clamp((int)(keypoints[i].Pt.X * grid / width), 0, grid - 1);
            var row = Math.Clamp((int)(keypoints[i].Pt.Y * grid / height), 0, grid - 1);
            var cell = (row * grid) + column;
            if (inCell[cell] < quota)
            {
                inCell[cell]++;
                taken[i] = true;
                chosen.Add(i);
            }
        }

        foreach (var i in byStrength)
        {
            if (chosen.Count == keep)
            {
                break;
            }

            if (!taken[i])
            {
                chosen.Add(i);
            }
        }

        return [.. chosen];
    }
}
