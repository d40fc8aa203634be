using System.Text.Json;
using Compliance.Generation.Gates;
using Compliance.Storage.Decisions;

namespace Compliance.Api.Reviews;

/// <summary>One queue action as the log records it (the entry's payload).</summary>
internal sealed record ReviewAction(Guid ItemId, Guid DecisionId, string ItemKind, string Queue, string Action, Guid ActorKeyId, DateTimeOffset At)
{
    public DateTimeOffset? ClaimedUntil { get; init; }
    public Guid? PreviousClaimantKeyId { get; init; }
    public DateTimeOffset? ClaimExpiredAt { get; init; }
    public string? Resolution { get; init; }
    public string? EffectiveOutcome { get; init; }
    public string? Reason { get; init; }
    public string? Visibility { get; init; }
    public string? Note { get; init; }
    public string? Statement { get; init; }
    public Guid? GenerationId { get; init; }
    public string? GenerationState { get; init; }
}

/// <summary>
/// Appends queue actions to the decision log as entries of kind <c>review</c>, each linked to the decision it is about:
/// the decision's own entry is never touched, and every action is hash-chained like a decision (ADR-017). Callers
/// append inside the transaction that makes the action's change, and commit only once the entry is durable.
/// </summary>
internal sealed class ReviewLog(DecisionLog log)
{
    /// <summary>Appends the action and returns its sequence number; the entry's id is <paramref name="entryId"/>.</summary>
    public Task<long> AppendAsync(Guid entryId, Guid tenantId, ReviewAction action, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(action);
        var entry = new DecisionEntry(
            entryId, tenantId, "review", action.Action, "", [], [], [], DecisionLog.TruncateToMicroseconds(action.At),
            JsonSerializer.Serialize(action, JsonNames.Options))
        {
            Kind = DecisionEntryKinds.Review,
            LinkedDecisionId = action.DecisionId,
        };
        return log.AppendAsync(entry, ct);
    }
}
