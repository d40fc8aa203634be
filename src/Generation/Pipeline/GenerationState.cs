namespace Compliance.Generation.Pipeline;

/// <summary>Where a generation job is. The first four are stages that run; the rest are where a job ends (or waits for a human).</summary>
public enum GenerationState
{
    Queued,
    ScreeningPrompt,
    Generating,
    ScreeningFrames,
    Released,
    Blocked,
    InReview,
    Failed,
    Cancelled,
}

/// <summary>The states' names on the wire and in the database, and which of them end a job.</summary>
public static class GenerationStates
{
    private static readonly Dictionary<GenerationState, string> Names = new()
    {
        [GenerationState.Queued] = "queued",
        [GenerationState.ScreeningPrompt] = "screening_prompt",
        [GenerationState.Generating] = "generating",
        [GenerationState.ScreeningFrames] = "screening_frames",
        [GenerationState.Released] = "released",
        [GenerationState.Blocked] = "blocked",
        [GenerationState.InReview] = "in_review",
        [GenerationState.Failed] = "failed",
        [GenerationState.Cancelled] = "cancelled",
    };

    private static readonly Dictionary<string, GenerationState> ByName = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    public static string Name(this GenerationState state) => Names[state];

    public static GenerationState Parse(string name) =>
        ByName.TryGetValue(name, out var state) ? state : throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown generation state.");

    public static bool TryParse(string? name, out GenerationState state) => ByName.TryGetValue(name ?? "", out state);

    /// <summary>A job in one of these states runs no further stage (a held job moves on only through a reviewer).</summary>
    public static bool IsFinished(this GenerationState state) =>
        state is GenerationState.Released or GenerationState.Blocked or GenerationState.InReview or GenerationState.Failed or GenerationState.Cancelled;

    /// <summary>The stages a worker is running; a tenant's concurrency limit counts these.</summary>
    public static IReadOnlyList<string> RunningNames { get; } =
        [Names[GenerationState.ScreeningPrompt], Names[GenerationState.Generating], Names[GenerationState.ScreeningFrames]];

    public static IReadOnlyList<string> AllNames { get; } = [.. Names.Values];
}
