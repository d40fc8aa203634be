using System.ComponentModel.DataAnnotations;

namespace Compliance.Generation.Pipeline;

/// <summary>Limits of the generation pipeline (configuration section <c>Generation</c>).</summary>
public sealed class GenerationPipelineOptions
{
    public const string Section = "Generation";

    /// <summary>Jobs one API node runs at once (the scheduler's thread count). Default 2: one per core here.</summary>
    [Range(1, 64)]
    public int MaxConcurrentJobsPerNode { get; set; } = 2;

    /// <summary>Jobs of one tenant running at once across all nodes; more wait in the queue. Default 2.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentJobsPerTenant { get; set; } = 2;

    /// <summary>Time budget of the prompt gate stage. Default 30 s.</summary>
    public TimeSpan PromptStageTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time budget of the generating stage (a hosted provider can take minutes). Default 15 min.</summary>
    public TimeSpan GenerateStageTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Time budget of the frame gate stage. Default 5 min.</summary>
    public TimeSpan FrameStageTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time budget of the release transaction (provenance, usage events). Default 1 min.</summary>
    public TimeSpan ReleaseStageTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a queued job waits before it is tried again when its tenant is at its limit. Default 2 s.</summary>
    public TimeSpan TenantBusyRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A job that was started this many times (crashes, recoveries) and still did not finish ends failed. Default 3.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Longest video a platform may ask for, in seconds. Default 12 (the hosted contract's longest).</summary>
    [Range(1, 600)]
    public int MaxDurationSeconds { get; set; } = 12;

    /// <summary>Largest frame width a platform may ask for. Default 1920.</summary>
    [Range(16, 8192)]
    public int MaxWidth { get; set; } = 1920;

    /// <summary>Largest frame height a platform may ask for. Default 1920.</summary>
    [Range(16, 8192)]
    public int MaxHeight { get; set; } = 1920;

    /// <summary>
    /// Largest frame area a platform may ask for, in pixels. Default 1920×1080, the local storyboard's own limit, so a
    /// size that passes at submit is one the generator can make (1920×1920 passes the side limits but not this one).
    /// </summary>
    [Range(16 * 16, 8192 * 8192)]
    public int MaxPixels { get; set; } = 1920 * 1080;

    /// <summary>
    /// The generator jobs use: <c>local-storyboard</c> (default) or <c>hosted-video-api</c> (needs
    /// <c>Generation:Hosted:BaseUrl</c>). Start-up fails when it names a generator that is not configured.
    /// </summary>
    [Required]
    public string DefaultGenerator { get; set; } = "local-storyboard";
}
