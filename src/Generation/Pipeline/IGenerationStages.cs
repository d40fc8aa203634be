using Compliance.Generation.Generators;

namespace Compliance.Generation.Pipeline;

/// <summary>
/// What the pipeline needs from its host: the two gates (which decide with the host's policy, grants and consents
/// and record every decision before answering), a place for the generated video, and the release. The runner owns
/// the order and the failure handling; the host owns the facts.
/// </summary>
public interface IGenerationStages
{
    /// <summary>The prompt gate: the prompt (and the cameos asked for) against names, likeness and grants.</summary>
    Task<GateResult> ScreenPromptAsync(GenerationJob job, CancellationToken ct);

    /// <summary>The generator the job names, and the request to give it (assets resolved to local files).</summary>
    Task<(IVideoGenerator Generator, GenerationRequest Request, IAsyncDisposable Assets)> PrepareGenerationAsync(GenerationJob job, CancellationToken ct);

    /// <summary>Keeps the generated video (moved into the blob store) and returns its blob key.</summary>
    Task<string> StoreOutputAsync(GenerationJob job, GeneratedVideo video, CancellationToken ct);

    /// <summary>The frame gate over the whole stored output: a span it did not screen is never allowed.</summary>
    Task<GateResult> ScreenFramesAsync(GenerationJob job, CancellationToken ct);

    /// <summary>
    /// Releases an allowed job in one transaction: the state moves from <see cref="GenerationState.ScreeningFrames"/>
    /// to <see cref="GenerationState.Released"/> (only if nobody cancelled it), the signed provenance manifest and the
    /// usage events are written. False when the job was no longer releasable; it is then never released.
    /// </summary>
    Task<bool> ReleaseAsync(GenerationJob job, CancellationToken ct);

    /// <summary>Records a provider's own safety refusal as a decision, so auditors see it with the job.</summary>
    Task<GateResult> RecordProviderRefusalAsync(GenerationJob job, GenerationFailedException refusal, CancellationToken ct);

    /// <summary>Called once a job has ended, whatever the end (callbacks, clean-up).</summary>
    Task OnFinishedAsync(Guid jobId, CancellationToken ct);
}
