using System.Globalization;
using System.Text;

namespace Compliance.ImageEvaluation;

/// <summary>The figures of docs/evaluation.md (images) and docs/image-matching.md, from one <see cref="ImageMatchingEvaluation"/>.</summary>
public static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Write(ImageMatchingEvaluation evaluation)
    {
        var text = new StringBuilder();
        var genuine = evaluation.Genuine.ToList();
        var impostors = evaluation.Impostors.ToList();
        text.AppendLine(Inv, $"model: {evaluation.ModelVersion}; references: {TestImages.References.Length} tuning + {TestImages.HeldOut.Length} held-out; "
            + $"{ImageTransforms.Everything.Count} transforms; {evaluation.Queries} queries; {genuine.Count} genuine and {impostors.Count} impostor pairs");
        text.AppendLine();

        foreach (var set in new[] { ReferenceSet.HeldOut, ReferenceSet.Tuning })
        {
            var rows = genuine.Where(p => p.Set == set).ToList();
            text.AppendLine(Inv, $"## Recall per transform, {(set == ReferenceSet.HeldOut ? "held-out" : "tuning")} references (n = {rows.Count / ImageTransforms.Everything.Count} per transform)");
            text.AppendLine();
            text.AppendLine("| transform | flagged (block or review) | blocked | PDQ blocks | embedding blocks | local features verify | misses (not flagged) |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---|");
            foreach (var transform in ImageTransforms.Everything)
            {
                var group = rows.Where(p => p.Transform == transform.Name).ToList();
                var missed = group.Where(p => p.Outcome == PairOutcome.None).Select(p => Short(p.Reference));
                text.AppendLine(Inv,
                    $"| {transform.Name} | {Share(group, p => p.Outcome != PairOutcome.None)} | {Share(group, p => p.Outcome == PairOutcome.Block)} | "
                    + $"{Share(group, p => p.PdqBlocks)} | {Share(group, p => p.EmbeddingBlocks)} | {Share(group, p => p.LocalVerified)} | {string.Join(", ", missed)} |");
            }

            text.AppendLine(Inv,
                $"| **all** | **{Share(rows, p => p.Outcome != PairOutcome.None)}** | **{Share(rows, p => p.Outcome == PairOutcome.Block)}** | "
                + $"{Share(rows, p => p.PdqBlocks)} | {Share(rows, p => p.EmbeddingBlocks)} | {Share(rows, p => p.LocalVerified)} | |");
            var partial = rows.Where(p => p.Partial).ToList();
            text.AppendLine(Inv, $"| partial copies only | {Share(partial, p => p.Outcome != PairOutcome.None)} | {Share(partial, p => p.Outcome == PairOutcome.Block)} | | | {Share(partial, p => p.LocalVerified)} | |");
            var legacy = rows.Where(p => ImageTransforms.All.Any(t => t.Name == p.Transform)).ToList();
            text.AppendLine(Inv, $"| the first evaluation's 7 | {Share(legacy, p => p.Outcome != PairOutcome.None)} | {Share(legacy, p => p.Outcome == PairOutcome.Block)} | | | | |");
            text.AppendLine();
        }

        text.AppendLine("## False matches and margins");
        text.AppendLine();
        var falseBlocks = impostors.Where(p => p.Outcome == PairOutcome.Block).ToList();
        var falseReviews = impostors.Where(p => p.Outcome == PairOutcome.Review).ToList();
        text.AppendLine(Inv, $"- impostor pairs blocked: **{falseBlocks.Count}** of {impostors.Count}{List(falseBlocks)}");
        text.AppendLine(Inv, $"- impostor pairs sent to review: **{falseReviews.Count}**{List(falseReviews)}");
        var verifiedGenuine = genuine.Where(p => p.LocalVerified).Select(p => p.LocalInliers).Order().ToList();
        var topImpostorInliers = impostors.OrderByDescending(p => p.LocalInliers).First();
        text.AppendLine(Inv,
            $"- local features: highest impostor inliers (best homography of any reference with 4+ ratio-test matches, whatever its placement or inlier share) "
            + $"**{topImpostorInliers.LocalInliers}** ({Describe(topImpostorInliers)}); impostors with 8+ inliers: {impostors.Count(p => p.LocalInliers >= 8)}; "
            + $"verified genuine copies: inliers min **{verifiedGenuine.DefaultIfEmpty(0).First()}**, p10 {Pct(verifiedGenuine, 0.10)}, median {Pct(verifiedGenuine, 0.5)}; "
            + $"genuine copies with 16–19 inliers: {verifiedGenuine.Count(i => i < 20)}; threshold {Compliance.Imaging.LocalFeatures.LocalFeatureIndex.MinInliers}");
        var topCosine = impostors.OrderByDescending(p => p.Cosine).First();
        var lowGenuine = genuine.Where(p => p.EmbeddingBlocks).Select(p => p.Cosine).DefaultIfEmpty(0).Min();
        text.AppendLine(Inv, $"- embedding: highest impostor cosine **{topCosine.Cosine:F3}** ({Describe(topCosine)}); lowest blocking genuine cosine {lowGenuine:F3}; block at 0.85, review from 0.75");
        var lowPdq = impostors.Where(p => p.PdqMatchable).OrderBy(p => p.PdqDistance).First();
        text.AppendLine(Inv, $"- PDQ: lowest impostor distance (both hashes matchable) **{lowPdq.PdqDistance}** ({Describe(lowPdq)}); match at ≤ 31, block at ≤ 24");
        text.AppendLine();

        text.AppendLine(Inv, $"## Indexed against exact local-feature search (bank of {evaluation.BankSize} references)");
        text.AppendLine();
        var exactGenuine = genuine.Count(p => p.LocalVerifiedExact);
        var bothGenuine = genuine.Count(p => p.LocalVerifiedExact && p.LocalVerified);
        var onlyIndexed = genuine.Where(p => p.LocalVerified && !p.LocalVerifiedExact).ToList();
        var onlyExact = genuine.Where(p => !p.LocalVerified && p.LocalVerifiedExact).ToList();
        text.AppendLine(Inv, $"- genuine pairs verified: exact {exactGenuine}, indexed {genuine.Count(p => p.LocalVerified)}, both {bothGenuine}: "
            + $"recall of the exact matcher's verified pairs **{(exactGenuine == 0 ? 1 : (double)bothGenuine / exactGenuine):0.000}**");
        text.AppendLine(Inv, $"- verified by exact only: {onlyExact.Count}{List(onlyExact)}");
        text.AppendLine(Inv, $"- verified by indexed only: {onlyIndexed.Count}{List(onlyIndexed)}");
        var changed = evaluation.Pairs.Where(p => p.Outcome != p.ExactOutcome).ToList();
        text.AppendLine(Inv, $"- decisions (block / review / none) that differ between the two, over all {evaluation.Pairs.Count} pairs: **{changed.Count}**{List(changed)}");
        text.AppendLine(Inv, $"- genuine flagged: exact {genuine.Count(p => p.ExactOutcome != PairOutcome.None)}, indexed {genuine.Count(p => p.Outcome != PairOutcome.None)} of {genuine.Count}; "
            + $"impostors flagged: exact {impostors.Count(p => p.ExactOutcome != PairOutcome.None)}, indexed {impostors.Count(p => p.Outcome != PairOutcome.None)}");
        text.AppendLine(Inv, $"- distractors verified (false matches): {evaluation.DistractorHits.Count}{(evaluation.DistractorHits.Count == 0 ? "" : ": " + string.Join("; ", evaluation.DistractorHits.Take(12)))}");
        text.AppendLine(Inv, $"- matching + RANSAC per query (one thread): indexed {evaluation.IndexedMillisecondsPerQuery:F1} ms, exact {evaluation.ExactMillisecondsPerQuery:F1} ms");
        text.AppendLine();

        text.AppendLine("## Misses of the local-feature verifier on partial copies (diagnosis)");
        text.AppendLine();
        text.AppendLine(Inv, $"- fewest stored keypoints: {string.Join(", ", evaluation.ReferenceKeypoints.OrderBy(k => k.Value).Take(10).Select(k => $"{Short(k.Key)} {k.Value}"))}");
        foreach (var miss in genuine.Where(p => p.Partial && !p.LocalVerified))
        {
            text.AppendLine(Inv, $"- {Short(miss.Reference)} {miss.Transform} ({miss.Set}): {miss.LocalMatches} ratio-test matches, best homography {miss.LocalInliers} inliers, cosine {miss.Cosine:F3}, outcome {miss.Outcome}");
        }

        text.AppendLine();

        var boxes = genuine.Where(p => p.Partial && p.Box is not null).ToList();
        text.AppendLine(Inv, $"Boxes reported for {boxes.Count} of {genuine.Count(p => p.Partial)} partial copies.");
        text.AppendLine(Inv, $"Time per query (one thread, whole bank of {evaluation.BankSize}, indexed search): {evaluation.MillisecondsPerQuery:F1} ms");
        return text.ToString();
    }

    private static string Share(List<PairScore> rows, Func<PairScore, bool> predicate) =>
        rows.Count == 0 ? "–" : string.Create(Inv, $"{(double)rows.Count(predicate) / rows.Count:0.00} ({rows.Count(predicate)}/{rows.Count})");

    private static int Pct(List<int> sorted, double q) => sorted.Count == 0 ? 0 : sorted[(int)(q * (sorted.Count - 1))];

    private static string Short(string name) => Path.GetFileNameWithoutExtension(name);

    private static string Describe(PairScore p) =>
        string.Create(Inv, $"{Short(p.Reference)} vs {Short(p.QueryImage)} {p.Transform}: PDQ {p.PdqDistance}, cos {p.Cosine:F3}, inliers {p.LocalInliers}");

    private static string List(List<PairScore> pairs) =>
        pairs.Count == 0 ? "" : ": " + string.Join("; ", pairs.Take(12).Select(Describe));
}
