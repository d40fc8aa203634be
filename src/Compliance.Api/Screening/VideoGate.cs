using Compliance.Generation.Frames;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Screening;

/// <summary>
/// The video gate: the upload is spooled by the sampler (the one spooling path: size limit while copying, SHA-256,
/// always deleted), the frame screener samples the whole video and screens its frames (library code shared with the
/// generation pipeline), and one decision is made for the whole video with per-frame evidence and its coverage.
/// </summary>
internal sealed class VideoGate(FrameScreener screener, DecisionPipeline pipeline, IOptions<ScreeningOptions> options, ILogger<VideoGate> logger)
{
    /// <summary>The largest video upload: <c>Video:MaxFileBytes</c>, the sampler's own limit.</summary>
    public long MaxUploadBytes => screener.Sampler.Options.MaxFileBytes;

    public async Task<DecisionView> ScreenAsync(Guid tenantId, IFormFile file, string? account, IReadOnlyList<string> contexts, CancellationToken ct)
    {
        using var activity = PromptGate.Activity.StartActivity("screen video");
        await using var upload = file.OpenReadStream();
        await using var spooled = await screener.Sampler.SpoolAsync(upload, ct);
        var screened = await screener.ScreenAsync(spooled.Path, options.Value.ImageClassifierBudget, logger.LogClassifierFailure, ct);
        var (metadata, coverage) = (screened.Summary.Metadata, screened.Coverage);
        var input = new DecisionInput(null, null, account, contexts)
        {
            Media = new MediaInput(spooled.Sha256, metadata.Container.MediaType, spooled.Length, metadata.Width, metadata.Height)
            {
                DurationSeconds = coverage.DurationSeconds,
                FramesScreened = coverage.FramesScreened,
                SecondsCovered = coverage.SecondsCovered,
                LargestGapSeconds = coverage.LargestGapSeconds,
                UnscreenedSpans = coverage.UnscreenedSpans,
            },
        };
        return await pipeline.DecideAsync(tenantId, "video", screened.Signals, contexts, input, ct);
    }
}
