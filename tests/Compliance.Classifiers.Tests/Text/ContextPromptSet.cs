namespace Compliance.Classifiers.Tests.Text;

/// <summary>
/// The labelled prompts of Data/context-prompts.tsv, split deterministically: within each label the
/// 1st, 3rd, 5th … row is for calibration and the 2nd, 4th, 6th … is held out. Shared by the tests and
/// by <c>Compliance.Bench --context-calibration</c> so both see the same halves.
/// </summary>
internal static class ContextPromptSet
{
    internal sealed record LabelledPrompt(string Label, string Prompt, bool Calibration);

    internal const string None = "none";

    internal static IReadOnlyList<LabelledPrompt> Load(string path)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var rows = new List<LabelledPrompt>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0)
            {
                throw new FormatException($"{path}: expected label<TAB>prompt, got '{line}'");
            }

            var label = line[..tab];
            var index = seen.GetValueOrDefault(label);
            seen[label] = index + 1;
            rows.Add(new LabelledPrompt(label, line[(tab + 1)..], index % 2 == 0));
        }

        return rows;
    }

    /// <summary>Precision and recall of one context over scored rows, at a threshold.</summary>
    internal static (double Precision, double Recall, int TruePositives, int FalsePositives, int Positives) Measure(
        IEnumerable<(string Label, float Score)> rows, string context, float threshold)
    {
        int tp = 0, fp = 0, positives = 0;
        foreach (var (label, score) in rows)
        {
            var positive = label == context;
            positives += positive ? 1 : 0;
            if (score >= threshold)
            {
                tp += positive ? 1 : 0;
                fp += positive ? 0 : 1;
            }
        }

        var precision = tp + fp == 0 ? 1.0 : (double)tp / (tp + fp);
        var recall = positives == 0 ? 1.0 : (double)tp / positives;
        return (precision, recall, tp, fp, positives);
    }
}
