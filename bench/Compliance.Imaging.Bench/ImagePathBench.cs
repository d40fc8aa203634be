using System.Diagnostics;
using System.Globalization;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;
using Compliance.ImageEvaluation;
using SkiaSharp;

namespace Compliance.Imaging.Bench;

/// <summary>
/// The image path per 1280×720 frame, one thread, as the three reference classifiers run it: the baseline (PDQ
/// dihedral hashes + one ResNet18 embedding, what ran before issue 10) against the new path (plus border trimming,
/// the trimmed image's PDQ, ORB description and matching + RANSAC verification against the bank). Banks: the 32
/// evaluation references, and 1,000 references (those 32 and 968 <see cref="Distractors"/>: real ORB descriptors of
/// pictures the frame does not contain, so the descriptor forest meets the neighbourhoods it will meet in service).
/// Matching is timed both ways: the service's indexed search and the exact one (every reference in full, ADR-025).
/// </summary>
internal static class ImagePathBench
{
    public static void Run(string repoRoot, int frames)
    {
        var folder = Path.Combine(repoRoot, ".data", "test-images");
        var decoder = new SafeImageDecoder();
        string[] names =
        [
            "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png", "coffee.png", "coins.png", "grass.png",
            "gravel.png", "horse.png", "hubble_deep_field.jpg", "ihc.png", "logo.png", "moon.png", "motorcycle_left.png", "page.png",
            "retina.jpg", "rocket.jpg", "text.png", "heldout/baboon.jpg", "heldout/building.jpg", "heldout/butterfly.jpg", "heldout/fruits.jpg",
            "heldout/home.jpg", "heldout/orange.jpg", "heldout/apple.jpg", "heldout/starry_night.jpg", "heldout/smarties.png", "heldout/board.jpg",
            "heldout/squirrel_cls.jpg", "heldout/graf1.png",
        ];
        var features = names.Select(n => LocalFeatureExtractor.DescribeReference(BorderTrimmer.Trim(decoder.DecodeFile(Path.Combine(folder, n))).Image)).ToList();
        var small = new LocalFeatureIndex(LocalFeatureSearch.Indexed);
        var smallExact = new LocalFeatureIndex(LocalFeatureSearch.Exact);
        var large = new LocalFeatureIndex(LocalFeatureSearch.Indexed);
        var largeExact = new LocalFeatureIndex(LocalFeatureSearch.Exact);
        var bank = Enumerable.Range(0, 1_000)
            .Select(i => ((long)i, i < features.Count ? features[i] : Distractors.Features(i - features.Count)))
            .ToList();
        small.AddRange(bank.Take(features.Count));
        smallExact.AddRange(bank.Take(features.Count));
        var build = Stopwatch.StartNew();
        large.AddRange(bank);
        var buildMs = build.Elapsed.TotalMilliseconds;
        largeExact.AddRange(bank);

        // A frame: the coffee photo at 40 % of the area of a letterboxed 1280×720 scene (a found partial copy).
        var frame = decoder.Decode(Frame(Path.Combine(folder, "coffee.png"), Path.Combine(folder, "heldout", "aloeL.jpg")));
        using var embedder = new VisualEmbedder();

        var baseline = Time(frames, () =>
        {
            PdqHasher.HashDihedral(frame);
            embedder.Embed(frame);
        });
        var trimOnly = Time(frames, () => BorderTrimmer.Trim(frame));
        var describe = Time(frames, () => LocalFeatureExtractor.DescribeQuery(BorderTrimmer.Trim(frame).Image));
        var describeBefore = Time(frames, () => DescribeBefore(BorderTrimmer.Trim(frame).Image));
        var query = LocalFeatureExtractor.DescribeQuery(BorderTrimmer.Trim(frame).Image);
        var queryBefore = DescribeBefore(BorderTrimmer.Trim(frame).Image);
        var foundLarge = large.Find(query);
        var match32 = Time(frames, () => small.Find(query));
        var match32Exact = Time(frames, () => smallExact.Find(query));
        var match1000 = Time(frames, () => large.Find(query));
        var match1000Exact = Time(Math.Max(3, frames / 4), () => largeExact.Find(query));
        var full32 = Time(frames, () => NewPath(frame, embedder, small));
        var full1000 = Time(frames, () => NewPath(frame, embedder, large));
        var match1000Before = Time(frames, () => large.Find(queryBefore));
        var full1000Before = Time(frames, () => NewPath(frame, embedder, large, DescribeBefore));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"frame 1280×720, {query.Count} query keypoints; found: 32-bank indexed {Ids(small.Find(query))}, exact {Ids(smallExact.Find(query))}; "
            + $"1,000-bank indexed {Ids(foundLarge)}, exact {Ids(largeExact.Find(query))}; loading the 1,000-bank (one AddRange: copy + descriptor forest): {buildMs:F0} ms"));
        Console.WriteLine("| step (one thread) | median ms | p90 ms |");
        Console.WriteLine("|---|---:|---:|");
        Row("baseline: PDQ dihedral + ResNet18 embedding", baseline);
        Row("border trimming", trimOnly);
        Row("trim + ORB description (1024 px, ≤ 1,500 keypoints; ADR-032: FAST 7, 4,500 candidates, 8×8 grid)", describe);
        Row("trim + ORB description as before ADR-032 (FAST 20, the strongest 1,500)", describeBefore);
        Row("matching + RANSAC, 32 references, exact (every reference in full)", match32Exact);
        Row("matching + RANSAC, 32 references, indexed", match32);
        Row("matching + RANSAC, 1,000 references, exact", match1000Exact);
        Row("matching + RANSAC, 1,000 references, indexed (forest vote, 16 matched in full)", match1000);
        Row("new path: PDQ whole + trimmed, embedding, ORB, match (32 references, indexed)", full32);
        Row("matching + RANSAC, 1,000 references, indexed, query described as before ADR-032", match1000Before);
        Row("new path, 1,000 references, indexed", full1000);
        Row("new path, 1,000 references, indexed, query described as before ADR-032", full1000Before);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio new/baseline: {Median(full32) / Median(baseline):F2}× at 32 references, {Median(full1000) / Median(baseline):F2}× at 1,000; "
            + $"ADR-032's query recipe against the one before it: description {Median(describe) / Median(describeBefore):F2}×, whole path at 1,000 {Median(full1000) / Median(full1000Before):F2}×; "
            + $"query keypoints before: {queryBefore.Count}, found {Ids(large.Find(queryBefore))}"));
    }

    private static string Ids(IReadOnlyList<LocalMatch> found) => found.Count == 0 ? "none" : string.Join("+", found.Select(m => $"#{m.Id} ({m.Inliers} inliers)"));

    private static LocalFeatureSet DescribeBefore(DecodedImage image) =>
        LocalFeatureExtractor.Describe(image, LocalFeatureExtractor.QuerySide, LocalFeatureExtractor.QueryFeatures);

    private static void NewPath(DecodedImage frame, VisualEmbedder embedder, LocalFeatureIndex index, Func<DecodedImage, LocalFeatureSet>? describe = null)
    {
        PdqHasher.HashDihedral(frame);
        var trimmed = BorderTrimmer.Trim(frame);
        if (trimmed.Trimmed)
        {
            PdqHasher.HashDihedral(trimmed.Image);
        }

        embedder.Embed(trimmed.Image);
        index.Find((describe ?? LocalFeatureExtractor.DescribeQuery)(trimmed.Image));
    }

    private static List<double> Time(int runs, Action action)
    {
        action();
        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return times;
    }

    private static double Median(List<double> sorted) => sorted[sorted.Count / 2];

    private static void Row(string what, List<double> sorted) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {Median(sorted):F1} | {sorted[(int)(sorted.Count * 0.9)]:F1} |"));

    private static byte[] Frame(string photoPath, string scenePath)
    {
        using var photo = SKBitmap.Decode(photoPath);
        using var scene = SKBitmap.Decode(scenePath);
        using var frame = new SKBitmap(1280, 720);
        using (var canvas = new SKCanvas(frame))
        {
            canvas.Clear(SKColors.Black);
            var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
            using var background = SKImage.FromBitmap(scene);
            canvas.DrawImage(background, new SKRect(160, 0, 1120, 720), sampling);  // pillarboxed 4:3 scene
            var scale = (float)Math.Sqrt(0.4 * 960 * 720 / ((double)photo.Width * photo.Height));
            using var inset = SKImage.FromBitmap(photo);
            canvas.DrawImage(inset, SKRect.Create(260, 80, photo.Width * scale, photo.Height * scale), sampling);
        }

        using var jpeg = SKImage.FromBitmap(frame).Encode(SKEncodedImageFormat.Jpeg, 85);
        return jpeg.ToArray();
    }
}
