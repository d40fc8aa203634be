using Compliance.Policies.Model;

namespace Compliance.Policies.Engine;

/// <summary>
/// A loaded, validated, immutable set of policy files. <see cref="Version"/> is the SHA-256 of the
/// files' names and bytes, so two nodes with the same files report the same version.
/// </summary>
public sealed record PolicySet(
    string Version,
    IReadOnlyList<PolicyRule> Rules,
    PolicyDefaults Defaults,
    IReadOnlyList<string> Files,
    DateTimeOffset LoadedAt);

/// <summary>One rule: when a signal (and the fact about its entity) satisfies <see cref="When"/>, the rule decides.</summary>
public sealed record PolicyRule(
    string Id,
    string Policy,
    string File,
    int Line,
    RuleCondition When,
    Outcome Outcome,
    string Reason,
    IReadOnlyList<string> Obligations);

/// <summary>Conditions of a rule; every condition that is set must hold.</summary>
public sealed record RuleCondition(
    IReadOnlyList<string> Signals,
    IReadOnlyList<string> Subjects,
    IReadOnlyList<string> EntityTypes,
    IReadOnlyList<GrantState> Grants,
    double? ScoreBelow,
    double? ScoreAtLeast)
{
    /// <summary>Classifier names (e.g. <c>reference-image-pdq</c>); empty means any.</summary>
    public IReadOnlyList<string> Classifiers { get; init; } = [];

    /// <summary>Holds when the evidence has a Hamming distance of at most this.</summary>
    public int? DistanceAtMost { get; init; }

    /// <summary>Holds when the evidence has a Hamming distance above this.</summary>
    public int? DistanceAbove { get; init; }

    /// <summary>Holds when the evidence has a similarity of at least this.</summary>
    public double? SimilarityAtLeast { get; init; }

    /// <summary>Holds when the evidence has a similarity below this.</summary>
    public double? SimilarityBelow { get; init; }

    /// <summary>
    /// How a name was matched (<c>exact</c>, <c>obfuscated</c>, <c>fuzzy</c>, <c>corroborated</c>, <c>namesake</c>,
    /// <c>uncorroborated</c>), ignoring a <c>+transliterated</c> suffix; empty means any. Never holds for a signal
    /// without a match kind.
    /// </summary>
    public IReadOnlyList<string> MatchKinds { get; init; } = [];
}

/// <summary>What happens when nothing was signalled, and when a signal matches no rule (fail closed).</summary>
public sealed record PolicyDefaults(DefaultRule NoSignals, DefaultRule UnmatchedSignal)
{
    public static readonly PolicyDefaults BuiltIn = new(
        new DefaultRule("default.no_signals", Outcome.Allow, "No classifier reported anything that needs a decision."),
        new DefaultRule("default.unmatched_signal", Outcome.Block, "No rule covers signal {kind} from {classifier}; failing closed."));
}

public sealed record DefaultRule(string Id, Outcome Outcome, string Reason);
