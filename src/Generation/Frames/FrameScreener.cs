using System.Globalization;
using Compliance.Classifiers;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Decoding;
using Compliance.Policies.Model;

namespace Compliance.Generation.Frames;

/// <summary>What screening a video's frames found: the sampling summary, the condensed signals, and the coverage.</summary>
/// <param name="Coverage">
/// The sampler's coverage with the frames whose classifiers failed taken out; when incomplete, <see cref="Signals"/>
/// holds a <see cref="SignalKinds.CoverageIncomplete"/> signal naming the unscreened spans.
/// </param>
public sealed record ScreenedVideo(SamplingSummary Summary, IReadOnlyList<Signal> Signals, VideoCoverage Coverage)
{
    /// <summary>Where each entity was seen, from every screened frame (the signals keep only the best few frames).</summary>
    public IReadOnlyList<EntityPresence> Presence { get; init; } = [];
}

/// <summary>
/// How long one entity was on screen: the frames that showed it, the first and last of them, and the seconds those
/// frames stand for (each screened frame stands for the time up to the next screened frame, at most one interval).
/// </summary>
public sealed record EntityPresence(string EntityType, Guid EntityId, int Frames, double FirstSeconds, double LastSeconds, double SecondsOnScreen);

/// <summary>
/// The frame gate's first half, as library code for the video endpoint and the generation pipeline:
/// frames are sampled (a fixed schedule over the whole video plus scene changes) and every frame runs through the
/// image classifiers, each under its budget, several frames at once (one per core) while ffmpeg keeps decoding.
/// Signals are stamped with their frame index and timestamp, then condensed: per entity and classifier, the
/// <see cref="FramesPerEntity"/> best frames; one error per failing classifier. A video not screened end to end
/// (frame cap, decoder stop, time budget, a classifier failing on a frame) gets a
/// <see cref="SignalKinds.CoverageIncomplete"/> signal, which policies may never allow.
/// </summary>
public sealed class FrameScreener(FrameSampler sampler, IEnumerable<IImageClassifier> classifiers)
{
    /// <summary>How many frames' evidence is kept per entity (the best-matching ones).</summary>
    public const int FramesPerEntity = 5;

    /// <summary>The classifier name on coverage signals.</summary>
    public const string CoverageClassifier = "frame-coverage";

    private readonly IImageClassifier[] _classifiers = classifiers.ToArray();

    public FrameSampler Sampler => sampler;

    public async Task<ScreenedVideo> ScreenAsync(
        string videoPath, TimeSpan classifierBudget, ClassifierGuard.FailureObserver? onFailure, CancellationToken ct)
    {
        var parallel = Math.Max(1, Environment.ProcessorCount);
        using var slots = new SemaphoreSlim(parallel, parallel);
        var running = new List<Task<FrameResult>>();
        SamplingSummary summary;
        try
        {
            summary = await sampler.SampleAsync(videoPath, async (frame, token) =>
            {
                // The sampler reuses its pixel buffer: each frame in flight gets its own copy, widened to RGBA, the layout
                // the embedding's resize and the face models' warps read without copying it again (same channel bytes).
                var image = RgbWidening.ToRgba(frame.Rgb24.Span, frame.Width, frame.Height, frame.Stride);
                var (index, time) = (frame.Index, frame.TimestampSeconds);
                // Waiting for a slot counts against the sampling budget (token): past it, this frame is not handed over
                // and the sampler reports the rest as unscreened. A frame that got a slot is screened to the end, under
                // each classifier's own budget and the caller's token.
                await slots.WaitAsync(token);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        var found = await ClassifierGuard.RunAllAsync(_classifiers, image, classifierBudget, onFailure, ct);
                        var rounded = Math.Round(time, 3);
                        return new FrameResult(index, time, found
                            .Select(s => s with { Evidence = s.Evidence with { FrameIndex = index, TimestampSeconds = rounded } })
                            .ToList());
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None));
            }, ct);
        }
        finally
        {
            // Frames in flight finish before the slots they release are disposed, whatever stopped the sampler.
            await ((Task)Task.WhenAll(running)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var frames = (await Task.WhenAll(running)).OrderBy(f => f.Index).ToList();
        var coverage = Cover(summary.Coverage, frames);
        var signals = Condense(frames.SelectMany(f => f.Signals).ToList());
        return new ScreenedVideo(summary, coverage.IsComplete ? signals : [.. signals, CoverageSignal(coverage)], coverage)
        {
            Presence = Presence(frames, coverage),
        };
    }

    private static IReadOnlyList<EntityPresence> Presence(IReadOnlyList<FrameResult> frames, VideoCoverage coverage)
    {
        var standsFor = new double[frames.Count];
        for (var i = 0; i < frames.Count; i++)
        {
            var next = i + 1 < frames.Count ? frames[i + 1].TimestampSeconds : coverage.DurationSeconds;
            standsFor[i] = Math.Clamp(next - frames[i].TimestampSeconds, 0, coverage.IntervalSeconds);
        }

        return frames
            .SelectMany((f, i) => f.Signals.Where(s => s.Entity is not null).Select(s => (s.Entity!.Type, s.Entity.Id)).Distinct().Select(e => (e, i)))
            .GroupBy(x => x.e)
            .Select(g => new EntityPresence(g.Key.Type, g.Key.Id, g.Count(),
                Math.Round(frames[g.Min(x => x.i)].TimestampSeconds, 3), Math.Round(frames[g.Max(x => x.i)].TimestampSeconds, 3),
                Math.Round(g.Sum(x => standsFor[x.i]), 3)))
            .OrderBy(p => p.FirstSeconds)
            .ToList();
    }

    /// <summary>
    /// The sampler's coverage, less the frames a classifier could not screen: each frame stands for the time up to
    /// the next frame, so a failed frame leaves that stretch unscreened.
    /// </summary>
    private static VideoCoverage Cover(VideoCoverage sampled, IReadOnlyList<FrameResult> frames)
    {
        var failed = new List<UnscreenedSpan>();
        for (var i = 0; i < frames.Count; i++)
        {
            var failures = frames[i].Signals.Where(s => s.Kind == SignalKinds.ClassifierError).Select(s => s.Classifier).Distinct().ToList();
            if (failures.Count > 0)
            {
                var next = i + 1 < frames.Count ? frames[i + 1].TimestampSeconds : sampled.DurationSeconds;
                failed.Add(new UnscreenedSpan(frames[i].TimestampSeconds, Math.Max(next, frames[i].TimestampSeconds), UnscreenedReason.ClassifierFailure,
                    $"{string.Join(", ", failures)} failed on frame {frames[i].Index}"));
            }
        }

        if (failed.Count == 0)
        {
            return sampled;
        }

        var screened = frames.Where(f => f.Signals.All(s => s.Kind != SignalKinds.ClassifierError)).Select(f => f.TimestampSeconds).ToList();
        return sampled.With(screened, failed);
    }

    /// <summary>
    /// The signal that stops an incompletely screened video from being allowed. Score: the share of the video left
    /// unscreened (so a policy may block when most of it is); evidence: every unscreened span and why.
    /// </summary>
    public static Signal CoverageSignal(VideoCoverage coverage)
    {
        ArgumentNullException.ThrowIfNull(coverage);
        var model = string.Create(CultureInfo.InvariantCulture,
            $"frame-sampler/2 (every {coverage.IntervalSeconds:0.###} s; {coverage.IntervalFrames} scheduled + {coverage.SceneChangeFrames} scene-change frames)");
        return new Signal(CoverageClassifier, model, SignalKinds.CoverageIncomplete, null, Math.Round(coverage.UnscreenedFraction, 3),
            new Evidence(Detail: coverage.Describe(), TimestampSeconds: coverage.UnscreenedSpans.Count > 0 ? coverage.UnscreenedSpans[0].StartSeconds : null));
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

/// <summary>One screened frame: where it was, and what its classifiers reported.</summary>
internal sealed record FrameResult(int Index, double TimestampSeconds, IReadOnlyList<Signal> Signals);
