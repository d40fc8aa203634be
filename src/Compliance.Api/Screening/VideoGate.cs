using System.Security.Cryptography;
using Compliance.Generation.Frames;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using Compliance.Policies.Model;

namespace Compliance.Api.Screening;

/// <summary>
/// The video gate: the upload goes to a temporary file (always deleted), frames are sampled with
/// ffmpeg at a fixed rate plus scene changes, each frame is screened by the image classifiers, and
/// one decision is made for the whole video. Per entity, the signals of its best-matching frames are
/// kept (with frame index and timestamp), so the decision shows where in the video it was seen.
/// </summary>
internal sealed class VideoGate(FrameSampler sampler, ImageGate images, DecisionPipeline pipeline, ILogger<VideoGate> logger)
{
    public const long MaxVideoBytes = 200L * 1024 * 1024;

    /// <summary>How many frames' evidence is kept per entity (the best-matching ones).</summary>
    public const int FramesPerEntity = 5;

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

            var collected = new List<Signal>();
            var summary = await sampler.SampleAsync(temp, async (frame, token) =>
            {
                // The sampler reuses its pixel buffer, and a classifier that overruns its budget may still
                // be reading when the next frame arrives: each frame gets its own copy.
                var image = new DecodedImage(frame.Rgb24.ToArray(), frame.Width, frame.Height, frame.Stride, PdqPixelFormat.Rgb888);
                foreach (var signal in await images.ClassifyAsync(image, token))
                {
                    collected.Add(signal with { Evidence = signal.Evidence with { FrameIndex = frame.Index, TimestampSeconds = Math.Round(frame.TimestampSeconds, 3) } });
                }
            }, ct);

            var signals = Condense(collected);
            var input = new DecisionInput(null, null, account, contexts)
            {
                Media = new MediaInput(sha, MediaType(summary.Metadata.FormatName), file.Length, summary.Metadata.Width, summary.Metadata.Height)
                {
                    DurationSeconds = Math.Round(summary.Metadata.Duration.TotalSeconds, 3),
                    FramesScreened = summary.FrameCount,
                },
            };
            logger.LogDebug("Video {Sha} screened: {Frames} frames, {Signals} signals", sha, summary.FrameCount, signals.Count);
            return await pipeline.DecideAsync(tenantId, "video", signals, contexts, input, ct);
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

    /// <summary>Keeps, per entity, the signals of its best frames; one error signal per failing classifier.</summary>
    internal static List<Signal> Condense(IReadOnlyList<Signal> signals)
    {
        var errors = signals.Where(s => s.Kind == SignalKinds.ClassifierError).DistinctBy(s => s.Classifier);
        var perEntity = signals
            .Where(s => s.Entity is not null)
            .GroupBy(s => (s.Entity!.Type, s.Entity.Id, s.Classifier))
            .SelectMany(g => g.OrderByDescending(s => s.Score).ThenBy(s => s.Evidence.FrameIndex).Take(FramesPerEntity));
        return [.. errors, .. perEntity];
    }
}
