using System.Diagnostics;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;

namespace Compliance.TextFusion;

/// <summary>The data set's catalog (names, context terms, description embeddings) as the service would hold it.</summary>
internal sealed class TextBench : INameMatcherSource
{
    private TextBench(FusionDataSet data, NameMatcher matcher, CharacterSemanticIndex semantics, SentenceEmbedder embedder)
    {
        Data = data;
        Current = matcher;
        Semantics = semantics;
        Embedder = embedder;
        KeyOf = data.Characters.ToDictionary(c => FusionDataSet.IdOf(c.Key), c => c.Key);
    }

    public FusionDataSet Data { get; }

    public NameMatcher Current { get; }

    public CharacterSemanticIndex Semantics { get; }

    public SentenceEmbedder Embedder { get; }

    public IReadOnlyDictionary<Guid, string> KeyOf { get; }

    /// <param name="clauses">
    /// An experiment of ADR-037, not what the service stores: each description's clauses (split at commas, semicolons and
    /// "who") as extra vectors beside the whole description and the example prompts.
    /// </param>
    public static TextBench Build(FusionDataSet data, SentenceEmbedder embedder, bool clauses = false)
    {
        var entities = data.Characters.Select(c => (c, Entity: c.ToEntity())).ToList();
        var vectors = new List<CharacterVectors>();
        foreach (var (character, entity) in entities)
        {
            string[] texts = [character.Description, .. character.ExamplePrompts, .. clauses ? ClausesOf(character.Description) : []];
            // Texts: the stored description and example prompts (not the clauses), as the service passes them (ADR-046).
            vectors.Add(new CharacterVectors(entity, embedder.Embed(texts))
            {
                StaticVector = embedder.StaticVectorOf(texts),
                Texts = [character.Description, .. character.ExamplePrompts],
            });
        }

        return new TextBench(data, NameMatcher.Build(entities.Select(e => e.Entity)), CharacterSemanticIndex.Build(vectors), embedder);
    }

    /// <summary>The clauses of a description of four words or more, when it has more than one.</summary>
    internal static string[] ClausesOf(string description)
    {
        var parts = description.TrimEnd('.').Split([", ", "; ", " who "], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(p => p.Split(' ').Length >= 4).ToArray();
        return parts.Length > 1 ? parts : [];
    }
}

/// <summary>What one screening decided about one prompt.</summary>
internal sealed record PromptOutcome(LabelledPrompt Row, Outcome Outcome, IReadOnlyList<(string Key, Outcome Outcome)> Flagged, double Milliseconds);

/// <summary>Precision, recall and false blocks of one way of screening on one set of prompts.</summary>
internal sealed record ScreeningMetrics(
    int NamePositives, int NamesFlagged, int NamesBlocked,
    int DescriptionPositives, int DescriptionsFlagged, int DescriptionsBlocked,
    int Negatives, int NegativesBlocked, int NegativesFlagged,
    int NamesakeNegatives, int NamesakesBlocked,
    int TruePairs, int FalsePairs,
    double MeanMs, double P99Ms)
{
    public double NameRecall => Ratio(NamesFlagged, NamePositives);
    public double NameBlockRecall => Ratio(NamesBlocked, NamePositives);
    public double DescriptionRecall => Ratio(DescriptionsFlagged, DescriptionPositives);
    public double DescriptionBlockRecall => Ratio(DescriptionsBlocked, DescriptionPositives);
    public double FalseBlockRate => Ratio(NegativesBlocked, Negatives);
    public double FalseFlagRate => Ratio(NegativesFlagged, Negatives);
    public double NamesakeFalseBlockRate => Ratio(NamesakesBlocked, NamesakeNegatives);

    /// <summary>Of the (prompt, character) pairs flagged (review or block), the share naming the labelled character.</summary>
    public double Precision => Ratio(TruePairs, TruePairs + FalsePairs);

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;

    /// <summary>
    /// A positive is found when its own character is flagged (review or block), blocked when blocked; a negative is
    /// falsely blocked when the decision blocks. Name positives are the name, evasion and namesake-character rows.
    /// </summary>
    public static ScreeningMetrics Compute(IReadOnlyList<PromptOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        int np = 0, nf = 0, nb = 0, dp = 0, df = 0, db = 0, neg = 0, negB = 0, negF = 0, ns = 0, nsB = 0, tp = 0, fp = 0;
        foreach (var o in outcomes)
        {
            var own = o.Row.Label is { } label ? o.Flagged.Where(f => f.Key == label).Select(f => f.Outcome).DefaultIfEmpty(Outcome.Allow).Max() : Outcome.Allow;
            tp += o.Flagged.Count(f => f.Key == o.Row.Label);
            fp += o.Flagged.Count(f => f.Key != o.Row.Label);
            if (o.Row.Label is null)
            {
                neg++;
                negB += o.Outcome == Outcome.Block ? 1 : 0;
                negF += o.Outcome >= Outcome.Review ? 1 : 0;
                if (LongPrompts.BaseCategory(o.Row.Category) == "namesake")
                {
                    ns++;
                    nsB += o.Outcome == Outcome.Block ? 1 : 0;
                }
            }
            else if (LongPrompts.BaseCategory(o.Row.Category) == "description")
            {
                dp++;
                df += own >= Outcome.Review ? 1 : 0;
                db += own == Outcome.Block ? 1 : 0;
            }
            else
            {
                np++;
                nf += own >= Outcome.Review ? 1 : 0;
                nb += own == Outcome.Block ? 1 : 0;
            }
        }

        var ms = outcomes.Select(o => o.Milliseconds).Order().ToArray();
        return new ScreeningMetrics(np, nf, nb, dp, df, db, neg, negB, negF, ns, nsB, tp, fp,
            ms.Length == 0 ? 0 : ms.Average(), ms.Length == 0 ? 0 : ms[Math.Min(ms.Length - 1, (int)Math.Ceiling(0.99 * ms.Length) - 1)]);
    }
}

/// <summary>Screens the data set's prompts through the production classifier and the shipped policies.</summary>
internal static class ScreeningRun
{
    public static PromptOutcome Screen(TextBench bench, Compliance.Classifiers.ITextClassifier classifier, PolicySet policies, LabelledPrompt row, Func<Signal, Signal?>? adjust = null)
    {
        var watch = Stopwatch.StartNew();
        var signals = classifier.ClassifyAsync(row.Prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        watch.Stop();
        if (adjust is not null)
        {
            signals = [.. signals.Select(adjust).OfType<Signal>()];
        }

        var decision = PolicyEngine.Evaluate(policies, new PolicyInput("prompt", signals, []));
        var flagged = decision.Reasons
            .Where(r => r.Outcome >= Outcome.Review && r.Signal?.Entity is { } e && bench.KeyOf.ContainsKey(e.Id))
            .Select(r => (bench.KeyOf[r.Signal!.Entity!.Id], r.Outcome))
            .ToList();
        return new PromptOutcome(row, decision.Outcome, flagged, watch.Elapsed.TotalMilliseconds);
    }
}
