using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Compliance.Policies.Model;
using Compliance.Generation.Frames;
using Compliance.Storage.Decisions;

namespace Compliance.Generation.Gates;

/// <summary>What was screened, as recorded with the decision (the evidence an auditor opens).</summary>
internal sealed record DecisionInput(string? Prompt, string? PromptSha256, string? Account, IReadOnlyList<string> Contexts)
{
    /// <summary>For images and videos: what was uploaded (the bytes themselves are not kept).</summary>
    public MediaInput? Media { get; init; }
}

/// <summary>
/// An uploaded image or video as recorded: its SHA-256, type (sniffed from the bytes), size and, for video, its
/// coverage: duration, frames screened, seconds those frames stand for, the largest gap, every unscreened span, and
/// what became of the soundtrack.
/// </summary>
internal sealed record MediaInput(string Sha256, string MediaType, long Bytes, int Width, int Height)
{
    public double? DurationSeconds { get; init; }

    public int? FramesScreened { get; init; }

    public double? SecondsCovered { get; init; }

    public double? LargestGapSeconds { get; init; }

    /// <summary>Empty when the whole video was screened; otherwise each span no screened frame stands for, and why.</summary>
    public IReadOnlyList<UnscreenedSpan>? UnscreenedSpans { get; init; }

    /// <summary>For video: each entity seen, in how many frames, first and last seen, and its seconds on screen.</summary>
    public IReadOnlyList<EntityPresence>? Presence { get; init; }

    /// <summary>For video: the soundtrack (none, screened with the recordings heard, or not screened and why).</summary>
    public Soundtrack.SoundtrackReport? Soundtrack { get; init; }
}

/// <summary>A decision as answered to the caller and as stored (JSON) in the decision log.</summary>
internal sealed record DecisionView(
    Guid DecisionId,
    long? Sequence,
    Guid TenantId,
    string Subject,
    Outcome Outcome,
    string PolicyVersion,
    DateTimeOffset CreatedAt,
    IReadOnlyList<Reason> Reasons,
    IReadOnlyList<Obligation> Obligations,
    DecisionInput Input)
{
    /// <summary>For a review decision: the obligations that bind if a reviewer overturns it and the output is released.</summary>
    public IReadOnlyList<Obligation>? ObligationsIfReleased { get; init; }

    /// <summary>
    /// The JSON the log stored for this decision (this view without its sequence number), so the answer can be written
    /// from it instead of serialising the decision a second time (<see cref="LoggedJson"/>). Never serialised itself.
    /// </summary>
    [JsonIgnore]
    public LoggedJson? Logged { get; init; }
}

/// <summary>
/// A recorded decision's payload as the log stored it, tied to the one view it was recorded for: a copy of that view
/// (<c>view with { ... }</c>) carries this object too but is not <see cref="For"/>, so it is serialised afresh.
/// </summary>
internal sealed class LoggedJson(string payload)
{
    public string Payload { get; } = payload;

    public DecisionView? For { get; set; }
}

/// <summary>Writes every decision to the log before it is answered, and counts it.</summary>
internal sealed class DecisionRecorder(DecisionLog log, TimeProvider clock, IMeterFactory meters)
{
    private readonly Counter<long> _decisions = meters.Create("Compliance").CreateCounter<long>("compliance.decisions", description: "Decisions recorded, by subject and outcome.");

    public async Task<DecisionView> RecordAsync(Guid tenantId, string subject, PolicyDecision decision, DecisionInput input, CancellationToken ct)
    {
        var view = new DecisionView(
            Guid.CreateVersion7(),
            null,
            tenantId,
            subject,
            decision.Outcome,
            decision.PolicyVersion,
            DecisionLog.TruncateToMicroseconds(clock.GetUtcNow()),
            decision.Reasons,
            decision.Obligations,
            input)
        {
            ObligationsIfReleased = decision.ObligationsIfReleased.Count > 0 ? decision.ObligationsIfReleased : null,
        };
        var payload = JsonSerializer.Serialize(view, JsonNames.Options);
        var entry = new DecisionEntry(
            view.DecisionId,
            tenantId,
            subject,
            JsonNames.Outcome(decision.Outcome),
            decision.PolicyVersion,
            Distinct(decision.Reasons, static r => r.Rule),
            DistinctEntities(decision.Reasons),
            Distinct(decision.Reasons, static r => r.Signal?.Classifier),
            view.CreatedAt,
            payload);
        var seq = await log.AppendAsync(entry, ct);
        _decisions.Add(1, new KeyValuePair<string, object?>("subject", subject), new KeyValuePair<string, object?>("outcome", entry.Outcome));
        var logged = new LoggedJson(payload);
        var recorded = view with { Sequence = seq, Logged = logged };
        logged.For = recorded;
        return recorded;
    }

    // The log's filter columns, first occurrence first (as Enumerable.Distinct kept them), without LINQ's iterators and
    // closures on every decision: a decision has a handful of reasons.
    private static string[] Distinct(IReadOnlyList<Reason> reasons, Func<Reason, string?> pick)
    {
        if (reasons.Count == 0)
        {
            return [];
        }

        var values = new List<string>(reasons.Count);
        foreach (var reason in reasons)
        {
            if (pick(reason) is { } value && !values.Contains(value))
            {
                values.Add(value);
            }
        }

        return [.. values];
    }

    private static Guid[] DistinctEntities(IReadOnlyList<Reason> reasons)
    {
        if (reasons.Count == 0)
        {
            return [];
        }

        var ids = new List<Guid>(reasons.Count);
        foreach (var reason in reasons)
        {
            if (reason.Signal?.Entity?.Id is { } id && !ids.Contains(id))
            {
                ids.Add(id);
            }
        }

        return [.. ids];
    }
}
