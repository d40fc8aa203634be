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

    /// <param name="split">The test split unless asked otherwise (ADR-037's rows are never trained on in any split).</param>
    public static void Print(TextBench bench, PolicySet policies, TextFusionModel fusion, TextWriter output, Split split = Split.Test)
    {
        Print(bench, policies, fusion, output, split, longPrompts: false);
        output.WriteLine();
        Print(bench, policies, fusion, output, split, longPrompts: true);
    }

    private static void Print(TextBench bench, PolicySet policies, TextFusionModel fusion, TextWriter output, Split split, bool longPrompts)
    {
        var results = Run(bench, policies, fusion, split, longPrompts);
        output.WriteLine($"fusion model {fusion.Version}; {(split == Split.Test ? "held-out test" : split.ToString().ToLowerInvariant())} split, {(longPrompts ? "long variants (~2,000 characters)" : "hand-written rows")}; policies {policies.Version[..19]}");
        output.WriteLine("| screening | name recall (flag / block) | description recall (flag / block) | precision | false blocks (all negatives) | false blocks (namesakes) | false flags | mean ms | p99 ms |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (mode, m, _) in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mode} | {m.NameRecall:0.000} / {m.NameBlockRecall:0.000} ({m.NamesFlagged}/{m.NamePositives}) | {m.DescriptionRecall:0.000} / {m.DescriptionBlockRecall:0.000} ({m.DescriptionsFlagged}/{m.DescriptionPositives}) | {m.Precision:0.000} | {m.FalseBlockRate:0.0000} ({m.NegativesBlocked}/{m.Negatives}) | {m.NamesakeFalseBlockRate:0.000} ({m.NamesakesBlocked}/{m.NamesakeNegatives}) | {m.FalseFlagRate:0.000} ({m.NegativesFlagged}) | {m.MeanMs:0.00} | {m.P99Ms:0.00} |"));
        }

        // ADR-037: the original rows and the rows added for it apart, and the negatives by kind.
        output.WriteLine();
        output.WriteLine("| screening | descriptions, original rows (flag / block) | descriptions, added rows (flag / block) | namesakes blocked / flagged | lookalikes blocked / flagged | ordinary blocked / flagged |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (mode, _, outcomes) in results)
        {
            output.WriteLine($"| {mode} | {DescriptionRecall(outcomes, added: false)} | {DescriptionRecall(outcomes, added: true)} | {Negatives(outcomes, "namesake")} | {Negatives(outcomes, "lookalike")} | {Negatives(outcomes, "ordinary")} |");
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

    private static string DescriptionRecall(IReadOnlyList<PromptOutcome> outcomes, bool added)
    {
        var m = ScreeningMetrics.Compute([.. outcomes.Where(o => o.Row.Added == added && LongPrompts.BaseCategory(o.Row.Category) == "description")]);
        return string.Create(CultureInfo.InvariantCulture, $"{m.DescriptionRecall:0.000} / {m.DescriptionBlockRecall:0.000} ({m.DescriptionsFlagged} / {m.DescriptionsBlocked} of {m.DescriptionPositives})");
    }

    private static string Negatives(IReadOnlyList<PromptOutcome> outcomes, string category)
    {
        var rows = outcomes.Where(o => o.Row.Label is null && LongPrompts.BaseCategory(o.Row.Category) == category).ToList();
        return $"{rows.Count(o => o.Outcome == Outcome.Block)} / {rows.Count(o => o.Outcome >= Outcome.Review)} of {rows.Count}";
    }

    /// <summary>
    /// ADR-037's rule for the similarity gate of <c>loose-description-review</c>, on the validation split only: the
    /// highest best-window similarity of a wrong described-character signal that would block without the gate
    /// (probability ≥ 0.8 on a row labelled none or for another character), plus 0.05, rounded up to 0.01, within
    /// [0.50, 0.70]. Prints every such signal and the similarity of each description's own signal.
    /// </summary>
    public static decimal SimilarityGate(TextBench bench, TextFusionModel fusion, TextWriter output)
    {
        const decimal Margin = 0.05m, Floor = 0.50m, Cap = 0.70m;
        var classifier = new NameClassifier(bench, new CharacterTextScreener(bench.Embedder, fusion));
        var rows = bench.Data.Prompts.Where(p => p.Split == Split.Validation).ToList();
        var wrong = new List<(LabelledPrompt Row, string Key, double Score, float Similarity, string? Window)>();
        var own = new List<(LabelledPrompt Row, double Score, float? Similarity, string? Window)>();
        foreach (var row in rows)
        {
            var signals = classifier.ClassifyAsync(row.Prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult()
                .Where(s => s.Kind == SignalKinds.DescribedCharacter && s.Entity is not null && bench.KeyOf.ContainsKey(s.Entity.Id))
                .ToList();
            foreach (var s in signals)
            {
                var key = bench.KeyOf[s.Entity!.Id];
                if (key != row.Label && s.Score >= 0.8)
                {
                    wrong.Add((row, key, s.Score, (float)(s.Evidence.Similarity ?? 0), s.Evidence.MatchedText));
                }
            }

            if (LongPrompts.BaseCategory(row.Category) == "description")
            {
                var mine = signals.Where(s => bench.KeyOf[s.Entity!.Id] == row.Label).OrderByDescending(s => s.Score).FirstOrDefault();
                own.Add((row, mine?.Score ?? 0, (float?)mine?.Evidence.Similarity, mine?.Evidence.MatchedText));
            }
        }

        output.WriteLine($"validation split: {rows.Count} rows ({rows.Count(r => r.Label is null)} negatives, {own.Count} descriptions)");
        output.WriteLine($"wrong described-character signals with probability >= 0.8 (would block without the gate): {wrong.Count}");
        foreach (var w in wrong.OrderByDescending(w => w.Similarity))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  similarity {w.Similarity:0.0000} probability {w.Score:0.000} {w.Key} [{w.Row.Category}] {w.Row.Label ?? "none"} | {Short(w.Row.Prompt)}"));
        }

        var highest = wrong.Count == 0 ? (decimal?)null : (decimal)wrong.Max(w => w.Similarity);
        var gate = highest is null ? Floor : Math.Clamp(Math.Ceiling((highest.Value + Margin) * 100m) / 100m, Floor, Cap);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"highest wrong similarity {(highest is null ? "none" : highest.Value.ToString("0.0000", CultureInfo.InvariantCulture))}; gate = max({Floor}, min({Cap}, ceil(highest + {Margin}))) = {gate:0.00}"));
        output.WriteLine("own signal of each validation description (probability, similarity; blocked at the gate = probability >= 0.8 and similarity >= gate):");
        foreach (var o in own.OrderBy(o => o.Similarity ?? -1))
        {
            var blocks = o.Score >= 0.8 && (decimal)(o.Similarity ?? 0) >= gate;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(blocks ? "block " : "      ")} p {o.Score:0.000} s {o.Similarity ?? 0:0.0000} [{o.Row.Category}{(o.Row.Added ? ", added" : "")}] {o.Row.Label} | {Short(o.Row.Prompt)}"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"validation descriptions blocked at gate {gate:0.00}: {own.Count(o => o.Score >= 0.8 && (decimal)(o.Similarity ?? 0) >= gate)} of {own.Count}; at 0.70: {own.Count(o => o.Score >= 0.8 && (o.Similarity ?? 0) >= 0.7f)}"));

        // The trade-off the rule weighs, validation only: what each gate would block, right and wrong.
        output.WriteLine("| gate | validation descriptions blocked (hand-written / long) | wrong signals that would block (rows) |");
        output.WriteLine("|---:|---:|---:|");
        foreach (var g in new[] { 0.50f, 0.55f, 0.60f, 0.65f, 0.70f })
        {
            int Blocked(bool isLong) => own.Count(o => o.Row.Category.StartsWith(LongPrompts.Prefix, StringComparison.Ordinal) == isLong && o.Score >= 0.8 && (o.Similarity ?? 0) >= g);
            int Of(bool isLong) => own.Count(o => o.Row.Category.StartsWith(LongPrompts.Prefix, StringComparison.Ordinal) == isLong);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {g:0.00} | {Blocked(false)}/{Of(false)} / {Blocked(true)}/{Of(true)} | {wrong.Where(w => w.Similarity >= g).Select(w => w.Row).Distinct().Count()} |"));
        }

        // A diagnostic for what could separate them next (ADR-037, not used by the rule): the evidence window's
        // similarity to the character's second-closest text (of its description and example prompts, float model).
        var texts = bench.Data.Characters.ToDictionary(c => c.Key, c => bench.Embedder.Embed([c.Description, .. c.ExamplePrompts]));
        float Second(string key, string? window)
        {
            if (window is null)
            {
                return 0;
            }

            var w = bench.Embedder.Embed(window);
            return texts[key].Select(t => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(w, t)).OrderDescending().ElementAt(1);
        }

        var wrongSecond = wrong.Select(w => Second(w.Key, w.Window)).Order().ToList();
        var ownSecond = own.Where(o => o.Score >= 0.8 && o.Similarity is >= 0.55f and < 0.7f).Select(o => Second(o.Row.Label!, o.Window)).Order().ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"second-closest text similarity: wrong signals {string.Join(" ", wrongSecond.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)))}; descriptions with probability >= 0.8 and similarity 0.55-0.70 {string.Join(" ", ownSecond.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)))}"));
        return gate;
    }

    private static string Short(string prompt) => prompt.Length <= 140 ? prompt : prompt[..140] + "…";

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
