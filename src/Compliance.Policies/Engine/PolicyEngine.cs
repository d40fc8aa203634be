using System.Globalization;
using Compliance.Policies.Model;

namespace Compliance.Policies.Engine;

/// <summary>
/// Turns signals and facts into a decision. Pure and deterministic: the same policy set and input
/// always give the same decision, so a decision can be replayed from the log.
/// </summary>
/// <remarks>
/// Each signal is decided by the first rule (in file order, then rule order) whose conditions hold;
/// the decision's outcome is the most severe of those (block &gt; review &gt; allow). A signal that no
/// rule covers is decided by <see cref="PolicyDefaults.UnmatchedSignal"/>, which may never be allow.
/// </remarks>
public static class PolicyEngine
{
    public static PolicyDecision Evaluate(PolicySet policies, PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(input);

        if (input.Signals.Count == 0)
        {
            var d = policies.Defaults.NoSignals;
            return new PolicyDecision(
                d.Outcome,
                [new Reason(d.Id, "defaults", d.Outcome, d.Reason, null, null)],
                [],
                policies.Version);
        }

        var reasons = new List<Reason>(input.Signals.Count);
        var obligations = new List<Obligation>();
        var outcome = Outcome.Allow;
        foreach (var signal in input.Signals)
        {
            var fact = FactFor(input.Facts, signal);
            var rule = FirstMatching(policies.Rules, input.Subject, signal, fact);
            Reason reason;
            if (rule is null)
            {
                var d = policies.Defaults.UnmatchedSignal;
                reason = new Reason(d.Id, "defaults", d.Outcome, Render(d.Reason, signal, fact), signal, fact);
            }
            else
            {
                reason = new Reason(rule.Id, rule.Policy, rule.Outcome, Render(rule.Reason, signal, fact), signal, fact);
                if (rule.Outcome == Outcome.Allow)
                {
                    AddObligations(obligations, rule, signal, fact);
                }
            }

            reasons.Add(reason);
            if (reason.Outcome > outcome)
            {
                outcome = reason.Outcome;
            }
        }

        // Obligations only bind when the output is released, i.e. when the whole decision allows, or when a reviewer
        // overturns a review decision (then those of its allowing reasons bind).
        return new PolicyDecision(outcome, reasons, outcome == Outcome.Allow ? obligations : [], policies.Version)
        {
            ObligationsIfReleased = outcome == Outcome.Review ? obligations : [],
        };
    }

    private static GrantFact? FactFor(IReadOnlyList<GrantFact> facts, Signal signal)
    {
        if (signal.Entity is null)
        {
            return null;
        }

        foreach (var f in facts)
        {
            if (f.Entity.Id == signal.Entity.Id && f.Entity.Type == signal.Entity.Type)
            {
                return f;
            }
        }

        return null;
    }

    private static PolicyRule? FirstMatching(IReadOnlyList<PolicyRule> rules, string subject, Signal signal, GrantFact? fact)
    {
        foreach (var rule in rules)
        {
            if (Holds(rule.When, subject, signal, fact))
            {
                return rule;
            }
        }

        return null;
    }

    internal static bool Holds(RuleCondition when, string subject, Signal signal, GrantFact? fact)
    {
        if (when.Signals.Count > 0 && !Contains(when.Signals, signal.Kind))
        {
            return false;
        }

        if (when.Subjects.Count > 0 && !Contains(when.Subjects, subject))
        {
            return false;
        }

        if (when.EntityTypes.Count > 0 && (signal.Entity is null || !Contains(when.EntityTypes, signal.Entity.Type)))
        {
            return false;
        }

        if (when.Grants.Count > 0)
        {
            // A signal about an entity with no recorded fact is treated as "none": never as permission.
            var state = fact?.State ?? GrantState.None;
            if (!when.Grants.Contains(state))
            {
                return false;
            }
        }

        if (when.Classifiers.Count > 0 && !Contains(when.Classifiers, signal.Classifier))
        {
            return false;
        }

        if (when.MatchKinds.Count > 0 && (signal.Evidence.MatchKind is not { } kind || !Contains(when.MatchKinds, BaseMatchKind(kind))))
        {
            return false;
        }

        // A distance or similarity condition never holds for a signal that carries no such measure.
        var distance = signal.Evidence.Distance;
        if (when.DistanceAtMost is { } atMost && !(distance <= atMost))
        {
            return false;
        }

        if (when.DistanceAbove is { } above && !(distance > above))
        {
            return false;
        }

        // Scores and similarities are compared in whole basis points (1/10,000), so a score computed as
        // 0.7999999999999999 (0.85 - 0.05 in binary floating point) is 0.8 and does not fall "below 0.8".
        var similarity = ScoreBasisPoints.Of(signal.Evidence.Similarity);
        if (when.SimilarityAtLeast is { } simAtLeast && !(similarity >= ScoreBasisPoints.Of(simAtLeast)))
        {
            return false;
        }

        if (when.SimilarityBelow is { } simBelow && !(similarity < ScoreBasisPoints.Of(simBelow)))
        {
            return false;
        }

        var score = ScoreBasisPoints.Of(signal.Score);
        if (when.ScoreBelow is { } below && !(score < ScoreBasisPoints.Of(below)))
        {
            return false;
        }

        return when.ScoreAtLeast is not { } atLeast || score >= ScoreBasisPoints.Of(atLeast);
    }

    // Ordinal membership by index: Enumerable.Contains with a comparer enumerates through an interface (an enumerator
    // allocated per list, per rule, per signal), and this runs for every rule a signal is tried against.
    private static bool Contains(IReadOnlyList<string> values, string value) => Contains(values, value.AsSpan());

    private static bool Contains(IReadOnlyList<string> values, ReadOnlySpan<char> value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (value.SequenceEqual(values[i]))
            {
                return true;
            }
        }

        return false;
    }

    // "exact+alias" and the like are matched on their first part ("exact"), as kind.Split('+')[0] did.
    private static ReadOnlySpan<char> BaseMatchKind(string kind)
    {
        var plus = kind.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? kind : kind.AsSpan(0, plus);
    }

    private static void AddObligations(List<Obligation> obligations, PolicyRule rule, Signal signal, GrantFact? fact)
    {
        foreach (var type in rule.Obligations)
        {
            switch (type)
            {
                case ObligationTypes.RecordUsage:
                    obligations.Add(new Obligation(type, signal.Entity, fact?.RevenueShareBasisPoints));
                    break;
                case ObligationTypes.Attribution:
                    // Attribution binds only where the grant asks for it.
                    if (fact?.AttributionRequired == true)
                    {
                        obligations.Add(new Obligation(type, signal.Entity, Detail: $"Credit {signal.Entity?.Name}"));
                    }

                    break;
                default:
                    obligations.Add(new Obligation(type, signal.Entity));
                    break;
            }
        }
    }

    private static string Render(string template, Signal signal, GrantFact? fact) =>
        template
            .Replace("{entity}", signal.Entity?.Name ?? "-", StringComparison.Ordinal)
            .Replace("{kind}", signal.Kind, StringComparison.Ordinal)
            .Replace("{classifier}", signal.Classifier, StringComparison.Ordinal)
            .Replace("{score}", signal.Score.ToString("0.###", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{grant}", GrantStates.ToName(fact?.State ?? GrantState.None), StringComparison.Ordinal)
            .Replace("{match}", signal.Evidence.MatchedText ?? "-", StringComparison.Ordinal)
            .Replace("{detail}", signal.Evidence.Detail ?? "-", StringComparison.Ordinal)
            .Replace("{distance}", signal.Evidence.Distance?.ToString(CultureInfo.InvariantCulture) ?? "-", StringComparison.Ordinal)
            .Replace("{similarity}", signal.Evidence.Similarity?.ToString("0.###", CultureInfo.InvariantCulture) ?? "-", StringComparison.Ordinal);
}

/// <summary>
/// Scores in whole basis points, the unit in which rules compare them: the nearest of 0, 1, …, 10,000 (half away from
/// zero). Thresholds in policy files have at most four decimals, so a band edge such as 0.8 is exactly 8,000 and a
/// score a rounding error away from it lands on the edge, not beside it.
/// </summary>
public static class ScoreBasisPoints
{
    public const int One = 10_000;

    public static int Of(double score) => (int)Math.Round(score * One, MidpointRounding.AwayFromZero);

    public static int? Of(double? score) => score is { } s ? Of(s) : null;
}

/// <summary>The obligation types the engine knows how to attach.</summary>
public static class ObligationTypes
{
    public const string RecordUsage = "record_usage";
    public const string Attribution = "attribution";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { RecordUsage, Attribution };
}
