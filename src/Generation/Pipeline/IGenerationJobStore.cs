namespace Compliance.Generation.Pipeline;

/// <summary>
/// The jobs' durable state. Every transition is a compare-and-set on the state the runner last read, so a job that
/// was cancelled, or advanced by another worker, is never moved on by a stale one: the caller re-reads and stops.
/// </summary>
public interface IGenerationJobStore
{
    Task<GenerationJob?> GetAsync(Guid id, CancellationToken ct);

    /// <summary>Counts a new attempt at running the job (a recovery after a crash is a second attempt).</summary>
    Task<int> BeginAttemptAsync(Guid id, CancellationToken ct);

    /// <summary>
    /// Moves a queued job into its first stage if its tenant has fewer than <paramref name="tenantLimit"/> jobs
    /// running; false when the tenant is at its limit (or the job is no longer queued).
    /// </summary>
    Task<bool> TryStartAsync(Guid id, int tenantLimit, CancellationToken ct);

    /// <summary>Moves the job from <paramref name="from"/> to <paramref name="to"/>, recording what the stage produced.</summary>
    Task<bool> AdvanceAsync(Guid id, GenerationState from, GenerationState to, StageRecord record, CancellationToken ct);

    /// <summary>Records progress in [0, 1] of the running stage (best effort).</summary>
    Task ReportProgressAsync(Guid id, GenerationState stage, double progress, CancellationToken ct);
}

/// <summary>What a completed stage leaves on the job. Unset fields are left as they are.</summary>
public sealed record StageRecord
{
    public string? Stage { get; init; }

    public TimeSpan? Elapsed { get; init; }

    public Guid? PromptDecisionId { get; init; }

    public Guid? FrameDecisionId { get; init; }

    public string? OutputBlob { get; init; }

    public string? Model { get; init; }

    public string? ProviderJobId { get; init; }

    /// <summary>Why the job ended blocked, in review, failed or cancelled.</summary>
    public string? Reason { get; init; }
}
