using System.Globalization;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;

namespace Compliance.TextFusion;

/// <summary>
/// ADR-052's selection rule for <c>described-namesake-character-blocks</c>: the similarity S at which a one-word name
/// that is also a place, a person or a word (a namesake or uncorroborated match, no context word of the character
/// around it) blocks because the words around it describe the character. Chosen on the train and validation splits
/// (hand-written rows and their long variants), never on test or fresh: S is the highest similarity of any such signal
/// for a character the row does not depict, whatever its probability, plus 0.05, rounded up to 0.01; nothing ships when
/// that is above 0.80. Probability is not used to pick the wrong signals because no namesake negative of these splits
/// reaches the block band: a gate chosen only against those would be chosen against nothing.
/// </summary>
internal static class NamesakeGate
{
    public const decimal Margin = 0.05m;
    public const decimal Cap = 0.80m;
    public const double BlockBand = 0.8;

    private static readonly string[] Kinds = ["namesake", "uncorroborated"];

    private sealed record Seen(LabelledPrompt Row, string Key, double Score, int Similarity, string? Matched);

    /// <returns>The chosen S, or null when nothing ships.</returns>
    public static decimal? Choose(TextBench bench, TextFusionModel fusion, TextWriter output)
    {
        var classifier = new NameClassifier(bench, new CharacterTextScreener(bench.Embedder, fusion));
        var rows = bench.Data.Prompts.Where(p => p.Split is Split.Train or Split.Validation).ToList();
        var wrong = new List<Seen>();
        var own = new List<Seen>();
        foreach (var row in rows)
        {
            var signals = classifier.ClassifyAsync(row.Prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult()
                .Where(s => s.Kind == SignalKinds.LicensedCharacter && s.Entity is not null && bench.KeyOf.ContainsKey(s.Entity.Id)
                    && s.Evidence.MatchKind is { } kind && Kinds.Contains(kind.Split('+')[0]));
            foreach (var s in signals)
            {
                var seen = new Seen(row, bench.KeyOf[s.Entity!.Id], s.Score, ScoreBasisPoints.Of(s.Evidence.Similarity ?? 0), s.Evidence.MatchedText);
                (seen.Key == row.Label ? own : wrong).Add(seen);
            }
        }

        output.WriteLine($"train and validation splits: {rows.Count} rows ({rows.Count(r => r.Label is null)} negatives); namesake or uncorroborated signals: {wrong.Count} wrong, {own.Count} for the character the row depicts");
        output.WriteLine("wrong signals (a character the row does not depict), highest similarity first:");
        foreach (var w in wrong.OrderByDescending(w => w.Similarity).Take(15))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  similarity {w.Similarity / 10000.0:0.0000} probability {w.Score:0.000} {w.Key} [{w.Row.Category}] {w.Row.Label ?? "none"} | {Short(w.Row.Prompt)}"));
        }

        var highest = wrong.Count == 0 ? 0m : wrong.Max(w => w.Similarity) / 10000m;
        var gate = Math.Ceiling((highest + Margin) * 100m) / 100m;
        output.WriteLine("own signals (the character the row depicts), highest similarity first:");
        foreach (var o in own.OrderByDescending(o => o.Similarity))
        {
            var blocks = o.Score >= BlockBand && o.Similarity >= ScoreBasisPoints.Of((double)gate);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  similarity {o.Similarity / 10000.0:0.0000} probability {o.Score:0.000} {o.Key} [{o.Row.Category}] {(blocks ? "blocks" : "review")} | {Short(o.Row.Prompt)}"));
        }

        if (gate > Cap)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chosen: nothing ships (highest wrong similarity {highest:0.0000} + {Margin} is above {Cap})"));
            return null;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chosen: S = {gate:0.00} (highest wrong similarity {highest:0.0000} + {Margin}, rounded up to 0.01); own signals that would block (probability >= {BlockBand} and similarity >= S): {own.Count(o => o.Score >= BlockBand && o.Similarity >= ScoreBasisPoints.Of((double)gate))} of {own.Count}"));
        return gate;
    }

    private static string Short(string prompt) => prompt.Length <= 110 ? prompt : prompt[..110] + "…";
}
