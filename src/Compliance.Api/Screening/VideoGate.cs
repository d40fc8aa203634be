using System.Security.Cryptography;
using Compliance.Generation.Frames;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Screening;

/// <summary>
/// The video gate: the upload goes to a temporary file (always deleted), the frame screener samples
/// and screens its frames (library code shared with the generation pipeline), and one decision is
/// made for the whole video with per-frame evidence.
/// </summary>
internal sealed class VideoGate(FrameScreener screener, DecisionPipeline pipeline, IOptions<ScreeningOptions> options, ILogger<VideoGate> logger)
{
    public const long MaxVideoBytes = 200L * 1024 * 1024;

    public async Task<DecisionView> ScreenAsync(Guid tenantId, IFormFile file, string? account, IReadOnlyList<string> contexts, CancellationToken ct)
    {
        using var activity = PromptGate.Activity.StartActivity("screen video");
        var temp = Path.Combine(Path.GetTempPath(), "compliance-video-" + Guid.NewGuid().ToString("N"));
        try
        {
            string sha;
            await using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            await using (var source = file.OpenReadStream())
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await source.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await target.WriteAsync(buffer.AsMemory(0, read), ct);
                }

                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            var screened = await screener.ScreenAsync(temp, options.Value.ImageClassifierBudget, logger.LogClassifierFailure, ct);
            var metadata = screened.Summary.Metadata;
            var input = new DecisionInput(null, null, account, contexts)
            {
                Media = new MediaInput(sha, MediaType(metadata.FormatName), file.Length, metadata.Width, metadata.Height)
                {
                    DurationSeconds = Math.Round(metadata.Duration.TotalSeconds, 3),
                    FramesScreened = screened.Summary.FrameCount,
                },
            };
            return await pipeline.DecideAsync(tenantId, "video", screened.Signals, contexts, input, ct);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>ffprobe names container families ("mov,mp4,m4a,3gp,3g2,mj2"); this picks the usual media type.</summary>
    internal static string MediaType(string formatName) => formatName switch
    {
        var f when f.Contains("mp4", StringComparison.Ordinal) => "video/mp4",
        var f when f.Contains("webm", StringComparison.Ordinal) => "video/webm",
        var f when f.Contains("matroska", StringComparison.Ordinal) => "video/x-matroska",
        var f when f.Contains("avi", StringComparison.Ordinal) => "video/x-msvideo",
        var f => "video/" + f.Split(',')[0],
    };
}
