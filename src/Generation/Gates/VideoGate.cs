using Compliance.Generation.Frames;
using Microsoft.Extensions.Options;

using Microsoft.Extensions.Logging;

namespace Compliance.Generation.Gates;

/// <summary>
/// The video gate: the upload is spooled by the sampler (the one spooling path: size limit while copying, SHA-256,
/// always deleted), the frame screener samples the whole video and screens its frames (library code shared with the
/// generation pipeline), and one decision is made for the whole video with per-frame evidence and its coverage.
/// </summary>
internal sealed class VideoGate(FrameScreener screener, DecisionPipeline pipeline, IOptions<ScreeningOptions> options, ILogger<VideoGate> logger)
{
    /// <summary>The largest video upload: <c>Video:MaxFileBytes</c>, the sampler's own limit.</summary>
    public long MaxUploadBytes => screener.Sampler.Options.MaxFileBytes;

    public async Task<DecisionView> ScreenAsync(Guid tenantId, Stream upload, string? account, IReadOnlyList<string> contexts, CancellationToken ct)
    {
        using var activity = PromptGate.Activity.StartActivity("screen video");
        await using var spooled = await screener.Sampler.SpoolAsync(upload, ct);
        return await ScreenFileAsync(tenantId, spooled.Path, spooled.Sha256, spooled.Length, account, contexts, ct);
    }

    /// <summary>
    /// The frame gate over a video already on local disk: uploads (after spooling) and the generation pipeline's
    /// output alike. One decision for the whole video, with per-frame evidence, where each entity was on screen, and
    /// the coverage; a span it did not screen is never allowed.
    /// </summary>
    public async Task<DecisionView> ScreenFileAsync(
        Guid tenantId, string path, string sha256, long length, string? account, IReadOnlyList<string> contexts, CancellationToken ct)
    {
        var screened = await screener.ScreenAsync(path, options.Value.ImageClassifierBudget, logger.LogClassifierFailure, ct);
        var (metadata, coverage) = (screened.Summary.Metadata, screened.Coverage);
        var input = new DecisionInput(null, null, account, contexts)
        {
            Media = new MediaInput(sha256, metadata.Container.MediaType, length, metadata.Width, metadata.Height)
            {
                Presence = screened.Presence,
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
