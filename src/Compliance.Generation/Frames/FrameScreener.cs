using Compliance.Classifiers;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using Compliance.Policies.Model;

namespace Compliance.Generation.Frames;

/// <summary>What screening a video's frames found: the sampling summary and the condensed signals.</summary>
public sealed record ScreenedVideo(SamplingSummary Summary, IReadOnlyList<Signal> Signals);

/// <summary>
/// The frame gate's first half, as library code for the video endpoint and the generation pipeline:
/// frames are sampled (fixed rate plus scene changes) and every frame runs through the image
/// classifiers, each under its budget, several frames at once (one per core) while ffmpeg keeps
/// decoding. Signals are stamped with their frame index and timestamp, then condensed: per entity
/// and classifier, the <see cref="FramesPerEntity"/> best frames; one error per failing classifier.
/// </summary>
public sealed class FrameScreener(FrameSampler sampler, IEnumerable<IImageClassifier> classifiers)
{
    /// <summary>How many frames' evidence is kept per entity (the best-matching ones).</summary>
    public const int FramesPerEntity = 5;

    private readonly IImageClassifier[] _classifiers = classifiers.ToArray();

    public async Task<ScreenedVideo> ScreenAsync(
        string videoPath, TimeSpan classifierBudget, ClassifierGuard.FailureObserver? onFailure, CancellationToken ct)
    {
        var parallel = Math.Max(1, Environment.ProcessorCount);
        using var slots = new SemaphoreSlim(parallel, parallel);
        var running = new List<Task<IReadOnlyList<Signal>>>();
        var summary = await sampler.SampleAsync(videoPath, async (frame, token) =>
        {
            // The sampler reuses its pixel buffer: each frame in flight gets its own copy.
            var image = new DecodedImage(frame.Rgb24.ToArray(), frame.Width, frame.Height, frame.Stride, PdqPixelFormat.Rgb888);
            var (index, time) = (frame.Index, Math.Round(frame.TimestampSeconds, 3));
            await slots.WaitAsync(token);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    var found = await ClassifierGuard.RunAllAsync(_classifiers, image, classifierBudget, onFailure, token);
                    return (IReadOnlyList<Signal>)found
                        .Select(s => s with { Evidence = s.Evidence with { FrameIndex = index, TimestampSeconds = time } })
                        .ToList();
                }
                finally
                {
                    slots.Release();
                }
            }, token));
        }, ct);

        var perFrame = await Task.WhenAll(running);
        return new ScreenedVideo(summary, Condense(perFrame.SelectMany(s => s).ToList()));
    }

    /// <summary>Keeps, per entity and classifier, the signals of its best frames; one error signal per failing classifier.</summary>
    public static IReadOnlyList<Signal> Condense(IReadOnlyList<Signal> signals)
    {
        var errors = signals.Where(s => s.Kind == SignalKinds.ClassifierError).DistinctBy(s => s.Classifier);
        var perEntity = signals
            .Where(s => s.Entity is not null)
            .GroupBy(s => (s.Entity!.Type, s.Entity.Id, s.Classifier))
            .SelectMany(g => g.OrderByDescending(s => s.Score).ThenBy(s => s.Evidence.FrameIndex).Take(FramesPerEntity));
        // Faces that match nobody carry no entity: keep the clearest few so the decision still shows them.
        var unmatchedFaces = signals
            .Where(s => s.Kind == SignalKinds.FaceDetected)
            .OrderByDescending(s => s.Score).ThenBy(s => s.Evidence.FrameIndex)
            .Take(FramesPerEntity);
        return [.. errors, .. perEntity, .. unmatchedFaces];
    }
}
