using System.Globalization;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;

namespace Compliance.TextFusion;

/// <summary>Lexical-only, semantic-only and fused screening of the held-out split, through the shipped policies.</summary>
internal static class Evaluation
{
    public sealed record Result(string Mode, ScreeningMetrics Metrics, IReadOnlyList<PromptOutcome> Outcomes);

    /// <param name="longPrompts">The long variants (~2,000 characters, ADR-023) instead of the hand-written rows.</param>
    public static IReadOnlyList<Result> Run(TextBench bench, PolicySet policies, TextFusionModel fusion, Split split = Split.Test, bool longPrompts = false)
    {
        var rows = bench.Data.Prompts.Where(p => p.Split == split && IsLong(p) == longPrompts).ToList();
        var lexical = new NameClassifier(bench, new CharacterTextScreener(null, null));
        var fused = new NameClassifier(bench, new CharacterTextScreener(bench.Embedder, fusion));

        // Semantic-only: the raw similarity of the best window, with the one threshold that maximises F1 on the
        // validation split (description positives against every negative); above it the prompt is blocked.
        var semanticScreener = new CharacterTextScreener(bench.Embedder, null, new TextScreeningOptions { SemanticCandidateFloor = 0f, ReportFloor = 0 });
        var threshold = SemanticThreshold(bench, semanticScreener);
        var semantic = new SemanticOnly(bench, semanticScreener, threshold);

        // Warm up the model once so the first prompt's latency is not the session's start-up.
        _ = fused.ClassifyAsync("warm up", CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return
        [
            Measure("lexical-only", rows.Select(r => ScreeningRun.Screen(bench, lexical, policies, r)).ToList()),
            Measure(string.Create(CultureInfo.InvariantCulture, $"semantic-only (similarity ≥ {threshold:0.000})"), rows.Select(r => ScreeningRun.Screen(bench, semantic, policies, r)).ToList()),
            Measure("fused", rows.Select(r => ScreeningRun.Screen(bench, fused, policies, r)).ToList()),
        ];
    }

    private static bool IsLong(LabelledPrompt p) => p.Category.StartsWith(LongPrompts.Prefix, StringComparison.Ordinal);

    private static Result Measure(string mode, List<PromptOutcome> outcomes) => new(mode, ScreeningMetrics.Compute(outcomes), outcomes);

    public static void Print(TextBench bench, PolicySet policies, TextFusionModel fusion, TextWriter output)
    {
        Print(bench, policies, fusion, output, longPrompts: false);
        output.WriteLine();
        Print(bench, policies, fusion, output, longPrompts: true);
    }

    private static void Print(TextBench bench, PolicySet policies, TextFusionModel fusion, TextWriter output, bool longPrompts)
    {
        var results = Run(bench, policies, fusion, Split.Test, longPrompts);
        output.WriteLine($"fusion model {fusion.Version}; held-out test split, {(longPrompts ? "long variants (~2,000 characters)" : "hand-written rows")}; policies {policies.Version[..19]}");
        output.WriteLine("| screening | name recall (flag / block) | description recall (flag / block) | precision | false blocks (all negatives) | false blocks (namesakes) | false flags | mean ms | p99 ms |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (mode, m, _) in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mode} | {m.NameRecall:0.000} / {m.NameBlockRecall:0.000} ({m.NamesFlagged}/{m.NamePositives}) | {m.DescriptionRecall:0.000} / {m.DescriptionBlockRecall:0.000} ({m.DescriptionsFlagged}/{m.DescriptionPositives}) | {m.Precision:0.000} | {m.FalseBlockRate:0.0000} ({m.NegativesBlocked}/{m.Negatives}) | {m.NamesakeFalseBlockRate:0.000} ({m.NamesakesBlocked}/{m.NamesakeNegatives}) | {m.FalseFlagRate:0.000} ({m.NegativesFlagged}) | {m.MeanMs:0.00} | {m.P99Ms:0.00} |"));
        }

        foreach (var (mode, _, outcomes) in results)
        {
            output.WriteLine();
            output.WriteLine($"{mode}: misses and false flags");
            foreach (var o in outcomes)
            {
                var own = o.Row.Label is { } label ? o.Flagged.Where(f => f.Key == label).Select(f => f.Outcome).DefaultIfEmpty(Outcome.Allow).Max() : Outcome.Allow;
                var wrong = o.Flagged.Where(f => f.Key != o.Row.Label).ToList();
                if ((o.Row.Label is not null && own == Outcome.Allow) || wrong.Count > 0)
                {
                    output.WriteLine($"  [{o.Row.Category}] {(o.Row.Label ?? "none")} → {o.Outcome} {string.Join(",", wrong.Select(w => $"{w.Key}:{w.Outcome}"))} | {o.Row.Prompt}");
                }
            }
        }
    }

    private static float SemanticThreshold(TextBench bench, CharacterTextScreener screener)
    {
        var scored = bench.Data.Prompts.Where(p => p.Split == Split.Validation && !IsLong(p) && (p.Label is null || p.Category == "description"))
            .Select(p =>
            {
                var top = screener.Screen(p.Prompt, bench.Current, bench.Semantics, TextScreeningMode.Semantic).FirstOrDefault();
                var right = top is not null && p.Label is not null && bench.KeyOf[top.Entity.Id] == p.Label;
                return (Score: (float)(top?.Score ?? 0), Positive: p.Label is not null, Right: right);
            })
            .ToList();
        var best = (F1: -1.0, Threshold: 1f);
        foreach (var t in scored.Select(s => s.Score).Distinct().Order())
        {
            var tp = scored.Count(s => s.Right && s.Score >= t);
            var fp = scored.Count(s => !s.Right && s.Score >= t);
            var fn = scored.Count(s => s.Positive && !(s.Right && s.Score >= t));
            var f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
            if (f1 > best.F1)
            {
                best = (f1, t);
            }
        }

        return best.Threshold;
    }

    /// <summary>Descriptions only: the raw similarity at or above the chosen threshold blocks (score 1), below it is dropped.</summary>
    private sealed class SemanticOnly(TextBench bench, CharacterTextScreener screener, float threshold) : Compliance.Classifiers.ITextClassifier
    {
        public string Name => NameClassifier.DescriptionsClassifierName;

        public ValueTask<IReadOnlyList<Signal>> ClassifyAsync(string text, CancellationToken cancellationToken)
        {
            var signals = screener.Screen(text, bench.Current, bench.Semantics, TextScreeningMode.Semantic)
                .Where(f => f.Score >= threshold)
                .Select(f => new Signal(Name, "semantic-only", SignalKinds.DescribedCharacter,
                    new EntityRef(f.Entity.Type, f.Entity.Id, f.Entity.CanonicalName, f.Entity.OwnerId), 1.0,
                    new Evidence(f.Window?.Text, f.Window?.Start, f.Window?.Length, Similarity: f.Similarity)))
                .ToList();
            return ValueTask.FromResult<IReadOnlyList<Signal>>(signals);
        }
    }
}
