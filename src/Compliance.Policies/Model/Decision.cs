namespace Compliance.Policies.Model;

/// <summary>Decision outcomes, ordered by severity: the most severe outcome of any rule wins.</summary>
public enum Outcome
{
    Allow = 0,
    Review = 1,
    Block = 2,
}

/// <summary>What the policy engine is asked to decide about.</summary>
/// <param name="Subject">What is being screened: <c>prompt</c>, <c>image</c>, <c>frame</c>, ...</param>
public sealed record PolicyInput(string Subject, IReadOnlyList<Signal> Signals, IReadOnlyList<GrantFact> Facts);

/// <summary>Why the decision came out as it did: one rule firing on one signal (and the fact it used).</summary>
public sealed record Reason(string Rule, string Policy, Outcome Outcome, string Message, Signal? Signal, GrantFact? Fact);

/// <summary>Something the caller must do when it acts on an allowed decision, e.g. record usage for revenue share.</summary>
public sealed record Obligation(string Type, EntityRef? Entity, int? RevenueShareBasisPoints = null, string? Detail = null);

/// <summary>The engine's answer. <see cref="PolicyVersion"/> is the content hash of the policy set that decided.</summary>
public sealed record PolicyDecision(
    Outcome Outcome,
    IReadOnlyList<Reason> Reasons,
    IReadOnlyList<Obligation> Obligations,
    string PolicyVersion)
{
    /// <summary>
    /// For a <see cref="Outcome.Review"/> decision: the obligations its allowing reasons carry. They bind only if a
    /// reviewer overturns the review and the output is released (e.g. usage of a licensed character is then recorded);
    /// empty for every other outcome.
    /// </summary>
    public IReadOnlyList<Obligation> ObligationsIfReleased { get; init; } = [];
}
