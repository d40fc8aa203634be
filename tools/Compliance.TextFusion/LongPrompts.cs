using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;

namespace Compliance.TextFusion;

/// <summary>
/// Long prompts (~2,000 characters) made from the data set's own rows: each description, namesake-character and
/// namesake prompt set among ordinary prompts of its split, at the start, in the middle or at the end; and ordinary
/// prompts alone. They measure what ranking a long prompt's windows before the transformer costs in recall (ADR-023):
/// the same prompts screened with every window embedded and with only the best-ranked ones.
/// </summary>
internal static class LongPrompts
{
    public const int TargetLength = 2_000;

    /// <summary>The categories a long variant is made of.</summary>
    private static readonly string[] Sources = ["name", "description", "namesake", "namesake-character", "lookalike"];

    public const string Prefix = "long:";

    /// <summary>
    /// The long variants of <paramref name="prompts"/> ("long:description", "long:name", …), each in its row's split and
    /// group, padded with ordinary prompts of that split; and as many "long:ordinary" prompts per split as it has
    /// descriptions.
    /// </summary>
    public static IReadOnlyList<LabelledPrompt> Variants(IReadOnlyList<LabelledPrompt> prompts)
    {
        var rows = new List<LabelledPrompt>();
        foreach (var split in Enum.GetValues<Split>())
        {
            var filler = prompts.Where(p => p.Category == "ordinary" && p.Split == split).Select(p => p.Prompt).ToArray();
            foreach (var row in prompts.Where(p => p.Split == split && Sources.Contains(p.Category)))
            {
                rows.Add(row with { Category = Prefix + row.Category, Prompt = Surround(row.Prompt, filler) });
            }

            // As many as the split has descriptions; those beyond the original rows' count belong to ADR-037's
            // evaluation-only set (so the training rows are what they were).
            var count = prompts.Count(p => p.Split == split && p.Category == "description" && !p.Added);
            var added = prompts.Count(p => p.Split == split && p.Category == "description" && p.Added);
            for (var i = 0; i < count + added; i++)
            {
                rows.Add(new LabelledPrompt("-", null, Prefix + "ordinary", Surround(null, filler, $"ordinary {split} {i}"), split) { Added = i >= count });
            }
        }

        return rows;
    }

    /// <summary>"long:description" → "description".</summary>
    public static string BaseCategory(string category) =>
        category.StartsWith(Prefix, StringComparison.Ordinal) ? category[Prefix.Length..] : category;

    /// <summary>Ordinary prompts, chosen by a hash of the row, around <paramref name="inner"/> at a position the hash picks.</summary>
    private static string Surround(string? inner, string[] filler, string? seed = null)
    {
        var random = new Random(BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(seed ?? inner!)), 0));
        var sentences = new List<string>();
        var length = inner?.Length ?? 0;
        while (length < TargetLength - 80)
        {
            var s = filler[random.Next(filler.Length)];
            sentences.Add(char.ToUpperInvariant(s[0]) + s[1..] + ".");
            length += s.Length + 2;
        }

        if (inner is not null)
        {
            // Start, middle or end of the prompt.
            var at = random.Next(3) switch { 0 => 0, 1 => sentences.Count / 2, _ => sentences.Count };
            sentences.Insert(at, inner.TrimEnd('.') + ".");
        }

        return string.Join(' ', sentences);
    }

    /// <summary>
    /// Screens the long prompts of <paramref name="split"/> with every window embedded and with the top 1, 2 and 3 by
    /// static ranking; prints recall, false flags and time, and how often the ranking kept the window that the
    /// all-windows path found best for the labelled character.
    /// </summary>
    public static void Print(TextBench bench, PolicySet policies, TextFusionModel fusion, Split split, TextWriter output)
    {
        var rows = bench.Data.Prompts.Where(p => p.Split == split && p.Category.StartsWith(Prefix, StringComparison.Ordinal) && p.Category != "long:name").ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"long prompts, {split} split: {rows.Count} ({rows.Count(r => r.Category == "long:description")} descriptions, {rows.Count(r => r.Category == "long:namesake-character")} namesake-character, {rows.Count(r => r.Category == "long:namesake")} namesakes, {rows.Count(r => r.Category == "long:ordinary")} ordinary); mean {rows.Average(r => r.Prompt.Length):0} characters, {rows.Average(r => PromptWindows.Split(r.Prompt).Count):0.0} windows"));
        output.WriteLine("| windows embedded | description recall (flag / block) | namesake-character recall (flag / block) | false blocks | false flags | window kept | mean ms | p99 ms |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        var shape = Environment.GetEnvironmentVariable("WINDOWS")?.Split('/').Select(int.Parse).ToArray() ?? [PromptWindows.WindowWords, PromptWindows.StrideWords];
        output.WriteLine($"windows of {shape[0]} words every {shape[1]}");
        var all = new CharacterTextScreener(bench.Embedder, fusion, new TextScreeningOptions { EmbeddedWindows = 0, WindowWords = shape[0], StrideWords = shape[1] });
        var best = rows.Where(r => r.Category == "long:description")
            .ToDictionary(r => r.Prompt, r => BestWindow(all, bench, r));
        foreach (var k in new[] { 0, 1, 2, 3 })
        {
            var screener = new CharacterTextScreener(bench.Embedder, fusion, new TextScreeningOptions { EmbeddedWindows = k, WindowWords = shape[0], StrideWords = shape[1] });
            var classifier = new NameClassifier(bench, screener);
            _ = classifier.ClassifyAsync("warm up", CancellationToken.None).AsTask().GetAwaiter().GetResult();
            var outcomes = rows.Select(r => ScreeningRun.Screen(bench, classifier, policies, r)).ToList();
            var kept = best.Count(b => b.Value is { } w && BestWindow(screener, bench, rows.First(r => r.Prompt == b.Key)) == w);
            string Recall(string category)
            {
                var positives = outcomes.Where(o => o.Row.Category == category).ToList();
                var flagged = positives.Count(o => o.Flagged.Any(f => f.Key == o.Row.Label));
                var blocked = positives.Count(o => o.Flagged.Any(f => f.Key == o.Row.Label && f.Outcome == Outcome.Block));
                return string.Create(CultureInfo.InvariantCulture, $"{(double)flagged / positives.Count:0.000} / {(double)blocked / positives.Count:0.000} ({flagged}/{positives.Count})");
            }

            var negatives = outcomes.Where(o => o.Row.Label is null).ToList();
            var ms = outcomes.Select(o => o.Milliseconds).Order().ToArray();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {(k == 0 ? "all" : "top " + k)} | {Recall("long:description")} | {Recall("long:namesake-character")} | {negatives.Count(o => o.Outcome == Outcome.Block)}/{negatives.Count} | {negatives.Count(o => o.Outcome >= Outcome.Review)}/{negatives.Count} | {kept}/{best.Count} | {ms.Average():0.0} | {ms[Math.Min(ms.Length - 1, (int)Math.Ceiling(0.99 * ms.Length) - 1)]:0.0} |"));
            if (k == 2)
            {
                foreach (var o in outcomes.Where(o => (o.Row.Label is not null && !o.Flagged.Any(f => f.Key == o.Row.Label)) || (o.Row.Label is null && o.Outcome >= Outcome.Review)))
                {
                    output.WriteLine($"  top 2: [{o.Row.Category}] {o.Row.Label ?? "none"} → {o.Outcome} {string.Join(",", o.Flagged.Select(f => $"{f.Key}:{f.Outcome}"))}");
                }
            }
        }
    }

    /// <summary>The start of the window the screener's semantic evidence for the labelled character comes from.</summary>
    private static int? BestWindow(CharacterTextScreener screener, TextBench bench, LabelledPrompt row)
    {
        var hit = screener.Candidates(row.Prompt, bench.Current, bench.Semantics)
            .FirstOrDefault(c => bench.KeyOf[c.Character.Id] == row.Label);
        return hit.Window?.Start;
    }
}
