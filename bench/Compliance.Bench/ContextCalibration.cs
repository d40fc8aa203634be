using System.Globalization;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;

namespace Compliance.Bench;

/// <summary>
/// Chooses each content context's threshold on the calibration half of context-prompts.tsv (the
/// threshold with the best F1, one-vs-rest, placed midway between the two scores it separates) and
/// reports precision/recall on the held-out half with both the chosen and the shipped thresholds.
/// </summary>
internal static class ContextCalibration
{
    internal static void Run(string tsv)
    {
        var rows = ContextPromptSet.Load(tsv);
        using var classifier = new ContentContextClassifier();
        Console.WriteLine($"model: {classifier.ModelVersion}; {rows.Count} prompts");
        var scored = rows.Select(r => (Row: r, Scores: classifier.Classify(r.Prompt).ToDictionary(s => s.Context))).ToList();

        Console.WriteLine("| context | chosen threshold | shipped | cal P | cal R | held-out P | held-out R | held-out TP/FP/positives | pos min/median | neg max (label) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var context in ContentContextClassifier.Contexts)
        {
            var cal = scored.Where(s => s.Row.Calibration).Select(s => (s.Row.Label, s.Scores[context].Score)).ToList();
            var held = scored.Where(s => !s.Row.Calibration).Select(s => (s.Row.Label, s.Scores[context].Score)).ToList();
            var chosen = BestF1(cal, context);
            var shipped = scored[0].Scores[context].Threshold;
            var c = ContextPromptSet.Measure(cal, context, chosen);
            var h = ContextPromptSet.Measure(held, context, shipped);
            var positives = cal.Where(r => r.Label == context).Select(r => r.Score).Order().ToList();
            var negative = cal.Where(r => r.Label != context).MaxBy(r => r.Score);
            Print($"| {context} | {chosen:F3} | {shipped:F3} | {c.Precision:F2} | {c.Recall:F2} | {h.Precision:F2} | {h.Recall:F2} | {h.TruePositives}/{h.FalsePositives}/{h.Positives} | {positives[0]:F3}/{positives[positives.Count / 2]:F3} | {negative.Score:F3} ({negative.Label}) |");
        }

        PrintErrors("calibration", scored.Where(s => s.Row.Calibration));
        PrintErrors("held-out", scored.Where(s => !s.Row.Calibration));
    }

    private static void PrintErrors(string half, IEnumerable<(ContextPromptSet.LabelledPrompt Row, Dictionary<string, ContextScore> Scores)> scored)
    {
        Console.WriteLine();
        Console.WriteLine($"{half} errors at the shipped thresholds (one-vs-rest: a second context on a prompt counts as a false positive):");
        foreach (var (row, scores) in scored)
        {
            var detected = scores.Values.Where(s => s.Detected).Select(s => s.Context).ToHashSet();
            var missed = row.Label != ContextPromptSet.None && !detected.Contains(row.Label);
            var extra = detected.Where(d => d != row.Label).ToList();
            if (missed || extra.Count > 0)
            {
                var own = row.Label == ContextPromptSet.None ? "" : $" own={scores[row.Label].Score:F3}";
                Print($"  [{row.Label}]{own} extra={string.Join(',', extra.Select(e => $"{e}:{scores[e].Score:F3}"))}  {row.Prompt}");
            }
        }
    }

    private static float BestF1(List<(string Label, float Score)> rows, string context)
    {
        var sorted = rows.Select(r => r.Score).Distinct().Order().ToList();
        var best = (F1: -1.0, Threshold: 1f);
        for (var i = 1; i < sorted.Count; i++)
        {
            var threshold = (sorted[i - 1] + sorted[i]) / 2;
            var m = ContextPromptSet.Measure(rows, context, threshold);
            var f1 = m.Precision + m.Recall == 0 ? 0 : 2 * m.Precision * m.Recall / (m.Precision + m.Recall);
            // Ties go to the higher threshold: fewer false exclusions of a grant for the same F1.
            if (f1 >= best.F1)
            {
                best = (f1, threshold);
            }
        }

        return best.Threshold;
    }

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
