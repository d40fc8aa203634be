using System.Globalization;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;

namespace Compliance.TextFusion;

/// <summary>
/// ADR-046's selection rule for the corroborated-description gate, on the validation split only (hand-written rows and
/// their long variants, the shipped fusion model): the lower similarity S at which a description whose evidence window
/// has at least K of the character's distinctive words blocks. (S, K) is admissible when no wrong signal (probability
/// ≥ 0.8 on a row labelled none or for another character) has K or more such words and similarity ≥ S − 0.05; of the
/// admissible pairs the one that blocks the most validation descriptions wins, ties to the higher S, then the higher K.
/// </summary>
internal static class CorroborationGate
{
    public static readonly decimal[] Similarities = [0.55m, 0.58m, 0.60m, 0.62m, 0.65m];
    public static readonly int[] TermCounts = [3, 4, 5];
    public const decimal Margin = 0.05m;
    public const decimal UncorroboratedGate = 0.70m;
    public const double BlockBand = 0.8;

    private sealed record Seen(LabelledPrompt Row, string Key, double Score, int Similarity, int Terms, string? Window);

    /// <returns>The chosen (S, K), or null when nothing ships.</returns>
    /// <param name="exceptCommonWords">ADR-046's follow-up experiment: words among the 20,000 most common English ones are
    /// never distinctive, whatever the catalog (the count is then recomputed here, not taken from the screener).</param>
    public static (decimal Similarity, int Terms)? Choose(TextBench bench, TextFusionModel fusion, TextWriter output, Split split = Split.Validation, bool exceptCommonWords = false)
    {
        var terms = exceptCommonWords
            ? DescriptionTerms.Build(bench.Data.Characters.Select(c => (FusionDataSet.IdOf(c.Key), (IEnumerable<string>)[c.Description, .. c.ExamplePrompts])), exceptCommonWords: true)
            : null;
        // Every finding is read with no corroboration threshold: the rule needs each one's word count, not its kind.
        var screener = new CharacterTextScreener(bench.Embedder, fusion);
        var rows = bench.Data.Prompts.Where(p => p.Split == split).ToList();
        var wrong = new List<Seen>();
        var own = new List<Seen>();
        foreach (var row in rows)
        {
            var findings = screener.Screen(row.Prompt, bench.Current, bench.Semantics)
                .Where(f => f.Match is null && f.Window is not null && bench.KeyOf.ContainsKey(f.Entity.Id))
                .Select(f => new Seen(row, bench.KeyOf[f.Entity.Id], f.Score, ScoreBasisPoints.Of(f.Similarity ?? 0), terms is null ? f.Terms ?? 0 : terms.CountIn(f.Entity.Id, f.Window!.Value.Text), f.Window!.Value.Text))
                .ToList();
            wrong.AddRange(findings.Where(f => f.Key != row.Label && f.Score >= BlockBand));
            if (LongPrompts.BaseCategory(row.Category) == "description")
            {
                own.Add(findings.Where(f => f.Key == row.Label).OrderByDescending(f => f.Score).FirstOrDefault() ?? new Seen(row, row.Label!, 0, 0, 0, null));
            }
        }

        output.WriteLine($"{(exceptCommonWords ? "EXPERIMENT: the 20,000 most common English words are never distinctive; " : "")}{split.ToString().ToLowerInvariant()} split: {rows.Count} rows ({rows.Count(r => r.Label is null)} negatives, {own.Count} descriptions); terms {DescriptionTerms.Version}, distinctive = used by at most max(1, floor({DescriptionTerms.DistinctiveShare:0.00} N)) of N = {bench.Semantics.Terms.CharacterCount} characters");
        output.WriteLine($"wrong described-character signals with probability >= {BlockBand}: {wrong.Count}");
        foreach (var w in wrong.OrderByDescending(w => w.Terms).ThenByDescending(w => w.Similarity))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  terms {w.Terms} similarity {w.Similarity / 10000.0:0.0000} probability {w.Score:0.000} {w.Key} [{w.Row.Category}] {w.Row.Label ?? "none"} | {Short(w.Row.Prompt)} || window: {w.Window}"));
        }

        int Blocked(decimal s, int k, bool? isLong = null) => own.Count(o =>
            (isLong is null || o.Row.Category.StartsWith(LongPrompts.Prefix, StringComparison.Ordinal) == isLong)
            && o.Score >= BlockBand && (o.Similarity >= Bp(UncorroboratedGate) || (o.Terms >= k && o.Similarity >= Bp(s))));
        int Of(bool isLong) => own.Count(o => o.Row.Category.StartsWith(LongPrompts.Prefix, StringComparison.Ordinal) == isLong);
        var baseline = own.Count(o => o.Score >= BlockBand && o.Similarity >= Bp(UncorroboratedGate));

        output.WriteLine("own signal of each description below the 0.70 gate with probability >= 0.8 (terms, similarity):");
        foreach (var o in own.Where(o => o.Score >= BlockBand && o.Similarity < Bp(UncorroboratedGate)).OrderByDescending(o => o.Terms).ThenByDescending(o => o.Similarity))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  terms {o.Terms} similarity {o.Similarity / 10000.0:0.0000} probability {o.Score:0.000} [{o.Row.Category}] {o.Row.Label} | {Short(o.Row.Prompt)}"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"descriptions blocked by the 0.70 gate alone: {baseline} of {own.Count} (hand-written {Blocked(1m, int.MaxValue, false)}/{Of(false)}, long {Blocked(1m, int.MaxValue, true)}/{Of(true)})"));
        output.WriteLine("| S | K | admissible (no wrong signal with terms >= K and similarity >= S - 0.05) | descriptions blocked (hand-written / long) | wrong signals that would block |");
        output.WriteLine("|---:|---:|---|---:|---:|");
        (decimal S, int K, int Blocked)? best = null;
        foreach (var s in Similarities)
        {
            foreach (var k in TermCounts)
            {
                var threats = wrong.Count(w => w.Terms >= k && w.Similarity >= Bp(s - Margin));
                var blocks = wrong.Count(w => w.Similarity >= Bp(UncorroboratedGate) || (w.Terms >= k && w.Similarity >= Bp(s)));
                var blocked = Blocked(s, k);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {s:0.00} | {k} | {(threats == 0 ? "yes" : $"no ({threats})")} | {blocked}/{own.Count} ({Blocked(s, k, false)}/{Of(false)} / {Blocked(s, k, true)}/{Of(true)}) | {blocks} |"));
                if (threats == 0 && (best is null || blocked > best.Value.Blocked
                    || (blocked == best.Value.Blocked && (s > best.Value.S || (s == best.Value.S && k > best.Value.K)))))
                {
                    best = (s, k, blocked);
                }
            }
        }

        if (best is null || best.Value.Blocked <= baseline)
        {
            output.WriteLine($"chosen: nothing ships ({(best is null ? "no admissible pair" : $"the best admissible pair blocks {best.Value.Blocked}, the 0.70 gate alone {baseline}")})");
            return null;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chosen: S = {best.Value.S:0.00}, K = {best.Value.K} ({best.Value.Blocked} of {own.Count} validation descriptions blocked, {baseline} at 0.70 alone)"));
        return (best.Value.S, best.Value.K);
    }

    private static int Bp(decimal similarity) => ScoreBasisPoints.Of((double)similarity);

    private static string Short(string prompt) => prompt.Length <= 110 ? prompt : prompt[..110] + "…";
}
