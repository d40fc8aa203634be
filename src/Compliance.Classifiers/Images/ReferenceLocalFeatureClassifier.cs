using Compliance.Classifiers.Text;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Trimming;
using Compliance.Policies.Model;

namespace Compliance.Classifiers.Images;

/// <summary>
/// Finds licensed characters whose reference image fills only part of the screened image (a screenshot, a
/// picture-in-picture, a poster on a wall) or is rotated, recoloured to grey, cropped or padded: ORB keypoints of the
/// border-trimmed image are matched against every reference's and verified with a RANSAC homography
/// (<see cref="LocalFeatureIndex"/>). Only verified matches are reported, each with the box the reference occupies
/// in the screened image's own pixels and the number of agreeing keypoint pairs. The score is 0.5 at
/// <see cref="LocalFeatureIndex.MinInliers"/> inliers and 1 from twice that.
/// </summary>
public sealed class ReferenceLocalFeatureClassifier(IReferenceBank bank) : IImageClassifier
{
    public const string ClassifierName = "reference-image-local";

    public string Name => ClassifierName;

    public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(DecodedImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (bank.LocalFeatures.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<Signal>>([]);
        }

        var trimmed = BorderTrimmer.Trim(image);
        var query = LocalFeatureExtractor.DescribeQuery(trimmed.Image);
        var best = new Dictionary<Guid, (ReferenceEntry Entry, LocalMatch Match)>();
        foreach (var match in bank.LocalFeatures.Find(query, cancellationToken))
        {
            if (bank.TryGet(match.Id, out var entry) && (!best.TryGetValue(entry.CharacterId, out var current) || match.Inliers > current.Match.Inliers))
            {
                best[entry.CharacterId] = (entry, match);
            }
        }

        var version = $"{LocalFeatureExtractor.Version} bank:{bank.Version}";
        var signals = best.Values
            .OrderByDescending(b => b.Match.Inliers)
            .Select(b =>
            {
                var box = BoxInImage(image, trimmed.Kept, query, b.Match.Corners);
                return new Signal(
                    ClassifierName,
                    version,
                    SignalKinds.LicensedCharacter,
                    new EntityRef(EntityTypes.Character, b.Entry.CharacterId, b.Entry.CharacterName, b.Entry.RightsHolderId),
                    Math.Min(1.0, Math.Round(b.Match.Inliers / (2.0 * LocalFeatureIndex.MinInliers), 4)),
                    new Evidence(
                        ReferenceId: b.Entry.PublicId,
                        Box: box.ToArray(),
                        Inliers: b.Match.Inliers,
                        Detail: $"{b.Match.Inliers} of {b.Match.Matches} keypoint matches agree on one placement; the reference covers "
                            + $"{box.Width}×{box.Height} px at ({box.X}, {box.Y})"));
            })
            .ToList();
        return ValueTask.FromResult<IReadOnlyList<Signal>>(signals);
    }

    /// <summary>The projected reference's bounding box, clipped to the picture, in the source image's pixels.</summary>
    public static PixelBox BoxInImage(DecodedImage image, PixelBox kept, LocalFeatureSet query, float[] corners)
    {
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        for (var i = 0; i < 4; i++)
        {
            // Described pixels → trimmed image → the decoded image.
            var x = (corners[2 * i] / query.Scale) + kept.X;
            var y = (corners[(2 * i) + 1] / query.Scale) + kept.Y;
            (minX, maxX) = (Math.Min(minX, x), Math.Max(maxX, x));
            (minY, maxY) = (Math.Min(minY, y), Math.Max(maxY, y));
        }

        var left = (int)Math.Clamp(Math.Floor(minX), 0, image.Width - 1);
        var top = (int)Math.Clamp(Math.Floor(minY), 0, image.Height - 1);
        var right = (int)Math.Clamp(Math.Ceiling(maxX), left + 1, image.Width);
        var bottom = (int)Math.Clamp(Math.Ceiling(maxY), top + 1, image.Height);
        return BorderTrimmer.ToSource(image, new PixelBox(left, top, right - left, bottom - top));
    }
}
