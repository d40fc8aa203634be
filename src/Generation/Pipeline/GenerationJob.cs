namespace Compliance.Generation.Pipeline;

/// <summary>A generation job as the pipeline sees it: the request, and what its completed stages left behind.</summary>
public sealed record GenerationJob
{
    public required Guid Id { get; init; }

    public required Guid TenantId { get; init; }

    /// <summary>The platform account that asked; consent of cameos and people in the output is checked for it.</summary>
    public string? Account { get; init; }

    public required string Prompt { get; init; }

    /// <summary>Likeness profiles asked to appear ("cameos").</summary>
    public IReadOnlyList<Guid> Cameos { get; init; } = [];

    /// <summary>The named audio asset the local storyboard lays under the video (null: silent).</summary>
    public string? Soundtrack { get; init; }

    /// <summary>Blob key of the optional reference image the platform sent.</summary>
    public string? ReferenceBlob { get; init; }

    public required int DurationSeconds { get; init; }

    public required int Width { get; init; }

    public required int Height { get; init; }

    public required long Seed { get; init; }

    public required GenerationState State { get; init; }

    public required string Generator { get; init; }

    public bool CancelRequested { get; init; }

    public Guid? PromptDecisionId { get; init; }

    public Guid? FrameDecisionId { get; init; }

    /// <summary>Blob key of the generated video once the generating stage completed.</summary>
    public string? OutputBlob { get; init; }

    public string? Model { get; init; }

    public string? ProviderJobId { get; init; }

    public int Attempts { get; init; }
}

/// <summary>What a gate decided: the decision's id in the log and its outcome, plus a short reason for the job's record.</summary>
public sealed record GateResult(Guid DecisionId, GateOutcome Outcome, string Summary);

public enum GateOutcome
{
    Allow,
    Review,
    Block,
}
