using System.Globalization;
using System.Text;
using Compliance.Imaging.Matching;
using Xunit.Abstractions;

namespace Compliance.Imaging.Tests;

/// <summary>
/// Recall and false matches of PDQ + ResNet18 on real photos and their altered copies, at the thresholds
/// in <see cref="ImageMatchThresholds"/>. The measured tables are in docs/image-matching.md; the report this
/// class writes (image-matching-report.md in the test output folder) regenerates them.
/// </summary>
public sealed class RealImageMatchingTests(RealImageEvaluation evaluation, ITestOutputHelper output)
    : IClassFixture<RealImageEvaluation>
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Measured 136/140 (97.1 %); the bound leaves room for two flips from another CPU's float rounding.</summary>
    [Fact]
    public void PdqOrEmbeddingRecallsAtLeast95PercentOfAlteredCopies()
    {
        var genuine = evaluation.Genuine.ToList();
        var missed = genuine.Where(p => !IsMatch(p)).ToList();
        var recall = 1.0 - ((double)missed.Count / genuine.Count);
        Assert.True(recall >= 0.95, $"Recall {recall:P1}; missed: {Describe(missed)}");
    }

    /// <summary>Measured ≥ 90 % for every transform (crop, watermark and rotation are the hard ones).</summary>
    [Fact]
    public void EveryKindOfAlterationIsRecalledAtLeast85PercentOfTheTime()
    {
        foreach (var group in evaluation.Genuine.GroupBy(p => p.Transform))
        {
            var missed = group.Where(p => !IsMatch(p)).ToList();
            var recall = 1.0 - ((double)missed.Count / group.Count());
            Assert.True(recall >= 0.85, $"{group.Key}: recall {recall:P0}; missed: {Describe(missed)}");
        }
    }

    /// <summary>Measured: the 4 copies missed by both signals score 0.796–0.838, inside the review band.</summary>
    [Fact]
    public void EveryAlteredCopyIsAtLeastSentToReview()
    {
        var unflagged = evaluation.Genuine.Where(p => !IsMatch(p) && p.Cosine < ImageMatchThresholds.EmbeddingReviewCosine).ToList();
        Assert.True(unflagged.Count == 0, $"Neither matched nor sent to review: {Describe(unflagged)}");
    }

    [Fact]
    public void NoPairOfDifferentImagesMatches()
    {
        var falseMatches = evaluation.Impostors.Where(IsMatch).ToList();
        Assert.True(falseMatches.Count == 0, $"False matches: {Describe(falseMatches)}");
    }

    [Fact]
    public void NoPairOfDifferentImagesReachesTheReviewBand()
    {
        var flagged = evaluation.Impostors.Where(p => p.Cosine >= ImageMatchThresholds.EmbeddingReviewCosine).ToList();
        Assert.True(flagged.Count == 0, $"Impostors at or above the review cosine: {Describe(flagged)}");
    }

    [Fact]
    public void AnImageMatchesItselfOnBothSignals()
    {
        foreach (var self in evaluation.Pairs.Where(p => p.Genuine && p.Transform == RealImageEvaluation.Original))
        {
            Assert.Equal(0, self.PdqDistance);
            Assert.True(self.Cosine > 0.9999f, $"{self.Reference}: cosine with itself {self.Cosine}");
        }
    }

    [Fact]
    public void WritesTheMeasuredTables()
    {
        var report = Report();
        output.WriteLine(report);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "image-matching-report.md"), report);
        Assert.NotEmpty(evaluation.Pairs);
    }

    private string Report()
    {
        var text = new StringBuilder();
        text.AppendLine(Inv, $"model: {evaluation.ModelVersion}");
        text.AppendLine();
        text.AppendLine("| image | transform | PDQ distance | cosine (8 variants) | cosine (unrotated only) | PDQ | embedding | recalled |");
        text.AppendLine("|---|---|---:|---:|---:|:-:|:-:|:-:|");
        foreach (var p in evaluation.Genuine.OrderBy(p => p.Transform, StringComparer.Ordinal).ThenBy(p => p.Reference, StringComparer.Ordinal))
        {
            var pdq = p.PdqMatches(ImageMatchThresholds.PdqMaxDistance);
            var emb = p.Cosine >= ImageMatchThresholds.EmbeddingMatchCosine;
            text.AppendLine(Inv, $"| {p.Reference} | {p.Transform} | {p.PdqDistance}{(p.PdqMatchable ? "" : " (q<50)")} | {p.Cosine:F3} | {p.PlainCosine:F3} | {Mark(pdq)} | {Mark(emb)} | {Mark(pdq || emb)} |");
        }

        text.AppendLine();
        text.AppendLine("| transform | n | PDQ recall | embedding recall | either | cosine min / median / max | PDQ distance min / median / max |");
        text.AppendLine("|---|---:|---:|---:|---:|---|---|");
        foreach (var group in evaluation.Genuine.GroupBy(p => p.Transform))
        {
            var list = group.ToList();
            var cosines = list.Select(p => p.Cosine).Order().ToList();
            var distances = list.Select(p => p.PdqDistance).Order().ToList();
            text.AppendLine(Inv,
                $"| {group.Key} | {list.Count} | {Recall(list, pdq: true, emb: false):P0} | {Recall(list, pdq: false, emb: true):P0} | {Recall(list, pdq: true, emb: true):P0} | "
                + $"{cosines[0]:F3} / {cosines[cosines.Count / 2]:F3} / {cosines[^1]:F3} | {distances[0]} / {distances[distances.Count / 2]} / {distances[^1]} |");
        }

        var all = evaluation.Genuine.ToList();
        text.AppendLine(Inv, $"| **all** | {all.Count} | {Recall(all, true, false):P1} | {Recall(all, false, true):P1} | {Recall(all, true, true):P1} | | |");

        text.AppendLine();
        Summary(text, "genuine (reference vs its altered copies)", evaluation.Genuine.ToList());
        Summary(text, "impostor (reference vs other images and their copies)", evaluation.Impostors.ToList());
        var plain = evaluation.Impostors.Select(p => p.PlainCosine).Order().ToList();
        var plainGenuine = evaluation.Genuine.ToList();
        text.AppendLine(Inv,
            $"- unrotated reference embedding only: impostor cosine median {plain[plain.Count / 2]:F3}, max {plain[^1]:F3}; "
            + $"embedding recall at {ImageMatchThresholds.EmbeddingMatchCosine} {(double)plainGenuine.Count(p => p.PlainCosine >= ImageMatchThresholds.EmbeddingMatchCosine) / plainGenuine.Count:P1}, "
            + $"either {(double)plainGenuine.Count(p => p.PdqMatches(ImageMatchThresholds.PdqMaxDistance) || p.PlainCosine >= ImageMatchThresholds.EmbeddingMatchCosine) / plainGenuine.Count:P1}");
        text.AppendLine();
        text.AppendLine("Highest impostor cosines:");
        foreach (var p in evaluation.Impostors.OrderByDescending(p => p.Cosine).Take(8))
        {
            text.AppendLine(Inv, $"- {p.Cosine:F3}: {p.Reference} vs {p.QueryImage} ({p.Transform}), PDQ {p.PdqDistance}");
        }

        text.AppendLine(Inv, $"Stereo pair motorcycle_left vs motorcycle_right: PDQ {evaluation.StereoPair.PdqDistance}, cosine {evaluation.StereoPair.Cosine:F3} (unrotated only {evaluation.StereoPair.PlainCosine:F3})");
        text.AppendLine("Lowest impostor PDQ distances:");
        foreach (var p in evaluation.Impostors.OrderBy(p => p.PdqDistance).Take(5))
        {
            text.AppendLine(Inv, $"- {p.PdqDistance}{(p.PdqMatchable ? "" : " (q<50)")}: {p.Reference} vs {p.QueryImage} ({p.Transform}), cosine {p.Cosine:F3}");
        }

        return text.ToString();
    }

    private static void Summary(StringBuilder text, string label, List<PairScore> pairs)
    {
        var cosines = pairs.Select(p => p.Cosine).Order().ToList();
        var distances = pairs.Select(p => p.PdqDistance).Order().ToList();
        text.AppendLine(Inv,
            $"- {label}: n = {pairs.Count}; cosine min {cosines[0]:F3}, p5 {cosines[cosines.Count / 20]:F3}, median {cosines[cosines.Count / 2]:F3}, "
            + $"p95 {cosines[cosines.Count * 19 / 20]:F3}, max {cosines[^1]:F3}; PDQ distance min {distances[0]}, median {distances[distances.Count / 2]}, max {distances[^1]}");
    }

    private static double Recall(List<PairScore> pairs, bool pdq, bool emb) =>
        (double)pairs.Count(p => (pdq && p.PdqMatches(ImageMatchThresholds.PdqMaxDistance)) || (emb && p.Cosine >= ImageMatchThresholds.EmbeddingMatchCosine))
        / pairs.Count;

    private static bool IsMatch(PairScore p) =>
        p.PdqMatches(ImageMatchThresholds.PdqMaxDistance) || p.Cosine >= ImageMatchThresholds.EmbeddingMatchCosine;

    private static string Describe(IEnumerable<PairScore> pairs) =>
        string.Join("; ", pairs.Take(20).Select(p => string.Create(Inv, $"{p.Reference} vs {p.QueryImage} {p.Transform} (PDQ {p.PdqDistance}, cos {p.Cosine:F3})")));

    private static string Mark(bool value) => value ? "✓" : "✗";
}
