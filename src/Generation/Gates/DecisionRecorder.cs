using System.Diagnostics.Metrics;
using System.Text.Json;
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
        var entry = new DecisionEntry(
            view.DecisionId,
            tenantId,
            subject,
            JsonNames.Outcome(decision.Outcome),
            decision.PolicyVersion,
            decision.Reasons.Select(r => r.Rule).Distinct().ToArray(),
            decision.Reasons.Select(r => r.Signal?.Entity?.Id).OfType<Guid>().Distinct().ToArray(),
            decision.Reasons.Select(r => r.Signal?.Classifier).OfType<string>().Distinct().ToArray(),
            view.CreatedAt,
            JsonSerializer.Serialize(view, JsonNames.Options));
        var seq = await log.AppendAsync(entry, ct);
        _decisions.Add(1, new KeyValuePair<string, object?>("subject", subject), new KeyValuePair<string, object?>("outcome", entry.Outcome));
        return view with { Sequence = seq };
    }
}
