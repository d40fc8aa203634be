using Compliance.Generation.Frames;
using Compliance.Generation.Soundtrack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Compliance.Generation.Gates;

/// <summary>
/// The video gate: the upload is spooled by the sampler (the one spooling path: size limit while copying, SHA-256,
/// always deleted), the frame screener samples the whole video and screens its frames (library code shared with the
/// generation pipeline) while the soundtrack screener fingerprints its audio track, and one decision is made for the
/// whole video with per-frame evidence, the recordings heard in its soundtrack, and its coverage.
/// </summary>
internal sealed class VideoGate(
    FrameScreener screener, SoundtrackScreener soundtrack, DecisionPipeline pipeline, IOptions<ScreeningOptions> options, ILogger<VideoGate> logger)
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
    /// output alike. One decision for the whole video, with per-frame evidence, where each entity was on screen, the
    /// recordings heard in the soundtrack (or that it has none, or could not be heard), and the coverage; a span it did
    /// not screen, pictures or sound, is never allowed.
    /// </summary>
    public async Task<DecisionView> ScreenFileAsync(
        Guid tenantId, string path, string sha256, long length, string? account, IReadOnlyList<string> contexts, CancellationToken ct)
    {
        // The soundtrack is fingerprinted by its own process while the frames are sampled and classified.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hearing = soundtrack.ScreenAsync(path, logger.LogClassifierFailure, stop.Token);
        ScreenedVideo? screened = null;
        try
        {
            screened = await screener.ScreenAsync(path, options.Value.ImageClassifierBudget, logger.LogClassifierFailure, ct);
        }
        finally
        {
            if (screened is null)
            {
                // A refused or failed video is answered as such; fingerprinting its audio is stopped, not left running.
                await stop.CancelAsync();
                await ((Task)hearing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        var heard = await hearing;
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
                Soundtrack = heard.Report,
            },
        };
        return await pipeline.DecideAsync(tenantId, "video", [.. screened.Signals, .. heard.Signals], contexts, input, ct);
    }
}
