using Compliance.ImageEvaluation;
using Xunit.Abstractions;

namespace Compliance.Imaging.Tests;

/// <summary>
/// Issue 10's image evaluation (tools/Compliance.ImageEvaluation; figures in docs/evaluation.md): floors under what was
/// measured, so a change that loses recall or lets an impostor through fails here. Regression guards, not tuned values.
/// </summary>
public sealed class ExtendedImageEvaluationTests(ExtendedImageEvaluationTests.Fixture evaluation, ITestOutputHelper output)
    : IClassFixture<ExtendedImageEvaluationTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public ImageMatchingEvaluation Evaluation { get; } = new();

        public void Dispose() => Evaluation.Dispose();
    }

    [Fact]
    public void NoImpostorPairIsBlockedOrSentToReview()
    {
        var flagged = evaluation.Evaluation.Impostors.Where(p => p.Outcome != PairOutcome.None).ToList();
        Assert.True(flagged.Count == 0, string.Join("; ", flagged.Take(10)));
    }

    /// <summary>Measured 0.98 (200/204) on the held-out references.</summary>
    [Fact]
    public void HeldOutReferencesAreFlaggedAtLeast95PercentOfTheTime()
    {
        var rows = evaluation.Evaluation.Genuine.Where(p => p.Set == ReferenceSet.HeldOut).ToList();
        var recall = (double)rows.Count(p => p.Outcome != PairOutcome.None) / rows.Count;
        Assert.True(recall >= 0.95, $"held-out recall {recall:F3}");
    }

    /// <summary>Measured 0.94 on held-out and 0.86 on tuning partial copies: every missed one is a low-texture image.</summary>
    [Fact]
    public void PartialCopiesAreFoundAtLeast80PercentOfTheTimeWithABox()
    {
        var rows = evaluation.Evaluation.Genuine.Where(p => p.Partial).ToList();
        var found = rows.Where(p => p.LocalVerified).ToList();
        Assert.True((double)found.Count / rows.Count >= 0.80, $"partial copies found {found.Count}/{rows.Count}");
        Assert.All(found, p => Assert.NotNull(p.Box));
    }

    [Fact]
    public void WritesTheReport()
    {
        var report = Report.Write(evaluation.Evaluation);
        output.WriteLine(report);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "image-evaluation-report.md"), report);
        Assert.Contains("held-out", report, StringComparison.Ordinal);
    }
}
