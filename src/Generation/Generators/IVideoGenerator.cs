namespace Compliance.Generation.Generators;

/// <summary>
/// Turns a prompt into a video file. The extension point of the generation pipeline: the pipeline screens the prompt
/// before calling it and screens the frames of what it returns, so an implementation only has to produce the video
/// and report honestly what it did. Implementations are thread-safe; one instance serves concurrent generations.
/// </summary>
public interface IVideoGenerator
{
    /// <summary>Stable name recorded in decisions and provenance manifests, e.g. <c>local-storyboard</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Generates one video. The returned file belongs to the caller, who must delete it; on failure nothing is left
    /// on disk.
    /// </summary>
    /// <param name="request">What to generate.</param>
    /// <param name="progress">Receives the fraction done in [0, 1], non-decreasing; may be <c>null</c>.</param>
    /// <param name="ct">The caller's cancellation.</param>
    /// <exception cref="GenerationFailedException">
    /// Every failure, with a <see cref="GenerationFailedException.Kind"/> the pipeline records: a request this generator
    /// cannot make, a permanent provider or encoder error, transient errors that outlasted the retries, the provider's
    /// own safety refusal, the time budget, or the caller's cancellation.
    /// </exception>
    Task<GeneratedVideo> GenerateAsync(GenerationRequest request, IProgress<double>? progress, CancellationToken ct);
}
