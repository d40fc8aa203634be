using System.Globalization;

namespace Compliance.Generation.Frames;

/// <summary>Why a span of a video went unscreened.</summary>
public enum UnscreenedReason
{
    /// <summary>The fixed-schedule frame budget ran out before the video did (its duration was under-declared).</summary>
    FrameCap,

    /// <summary>Decoding stopped early (a decoder error, a cut or damaged file) after some frames were screened.</summary>
    DecoderError,

    /// <summary>The sampling time budget ran out after some frames were screened.</summary>
    TimeBudget,

    /// <summary>A classifier failed or timed out on the frame that stands for this span.</summary>
    ClassifierFailure,
}

/// <summary>A stretch of the video, in seconds from its start, that no screened frame stands for, and why.</summary>
public sealed record UnscreenedSpan(double StartSeconds, double EndSeconds, UnscreenedReason Reason, string Detail)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{StartSeconds:0.###}–{EndSeconds:0.###} s ({UnscreenedReasonNames.Of(Reason)}: {Detail})");
}

/// <summary>
/// How much of a video its screened frames stand for. Each screened frame stands for the time from itself to the next
/// screened frame; the fixed schedule puts one in every interval of the whole duration, so coverage is complete unless
/// a span is listed in <see cref="UnscreenedSpans"/>. A video with any unscreened span must never be allowed.
/// </summary>
/// <param name="FramesScreened">Frames handed to the classifiers (fixed-schedule plus scene-change frames).</param>
/// <param name="IntervalFrames">Of those, frames on the fixed schedule.</param>
/// <param name="SceneChangeFrames">Of those, frames taken only because they are scene changes.</param>
/// <param name="DurationSeconds">The length of the video: its declared duration, or longer if frames were found past it.</param>
/// <param name="IntervalSeconds">Spacing of the fixed schedule actually used (1/rate, widened for long videos).</param>
/// <param name="SecondsCovered">Duration minus the unscreened spans.</param>
/// <param name="LargestGapSeconds">The longest time between screened frames (or from the last one to the end).</param>
public sealed record VideoCoverage(
    int FramesScreened,
    int IntervalFrames,
    int SceneChangeFrames,
    double DurationSeconds,
    double IntervalSeconds,
    double SecondsCovered,
    double LargestGapSeconds,
    IReadOnlyList<UnscreenedSpan> UnscreenedSpans)
{
    public bool IsComplete => UnscreenedSpans.Count == 0;

    /// <summary>The share of the duration no screened frame stands for, in [0, 1].</summary>
    public double UnscreenedFraction => DurationSeconds > 0 ? Math.Clamp(1 - (SecondsCovered / DurationSeconds), 0, 1) : (IsComplete ? 0 : 1);

    /// <summary>
    /// Measures coverage from the times of the frames that were actually screened and the spans known to be
    /// unscreened; adjacent spans with the same reason are merged.
    /// </summary>
    public static VideoCoverage Measure(
        double durationSeconds, double intervalSeconds, IReadOnlyList<double> screenedTimes, int intervalFrames, int sceneChangeFrames,
        IEnumerable<UnscreenedSpan> unscreened)
    {
        ArgumentNullException.ThrowIfNull(screenedTimes);
        ArgumentNullException.ThrowIfNull(unscreened);
        var spans = Merge(unscreened.Select(s => s with { StartSeconds = Round(s.StartSeconds), EndSeconds = Round(Math.Max(s.StartSeconds, s.EndSeconds)) }));
        var duration = Math.Max(durationSeconds, spans.Count > 0 ? spans.Max(s => s.EndSeconds) : 0);
        var times = screenedTimes.Order().ToList();
        var largestGap = times.Count == 0 ? duration : Math.Max(times[0], duration - times[^1]);
        for (var i = 1; i < times.Count; i++)
        {
            largestGap = Math.Max(largestGap, times[i] - times[i - 1]);
        }

        return new VideoCoverage(
            screenedTimes.Count,
            intervalFrames,
            sceneChangeFrames,
            Round(duration),
            Round(intervalSeconds),
            Round(Math.Max(0, duration - UnionLength(spans, duration))),
            Round(Math.Max(0, largestGap)),
            spans);
    }

    /// <summary>This coverage with more unscreened spans (e.g. frames whose classifiers failed), re-measured.</summary>
    public VideoCoverage With(IReadOnlyList<double> screenedTimes, IEnumerable<UnscreenedSpan> more) =>
        Measure(DurationSeconds, IntervalSeconds, screenedTimes, IntervalFrames, SceneChangeFrames, UnscreenedSpans.Concat(more));

    /// <summary>One line naming every unscreened span, for a signal's evidence.</summary>
    public string Describe() => IsComplete
        ? "every part of the video was screened"
        : string.Create(CultureInfo.InvariantCulture,
            $"{UnscreenedSpans.Count} span(s) unscreened, {DurationSeconds - SecondsCovered:0.###} of {DurationSeconds:0.###} s: {string.Join("; ", UnscreenedSpans)}");

    private static List<UnscreenedSpan> Merge(IEnumerable<UnscreenedSpan> spans)
    {
        var merged = new List<UnscreenedSpan>();
        foreach (var span in spans.OrderBy(s => s.StartSeconds).ThenBy(s => s.Reason))
        {
            if (merged.Count > 0 && merged[^1] is var last && last.Reason == span.Reason && span.StartSeconds <= last.EndSeconds)
            {
                merged[^1] = last with { EndSeconds = Math.Max(last.EndSeconds, span.EndSeconds), Detail = Join(last.Detail, span.Detail) };
            }
            else
            {
                merged.Add(span);
            }
        }

        return merged;
    }

    // Details of merged spans are joined, but a run of hundreds of failed frames must not make a page of text.
    private static string Join(string first, string second) =>
        first == second || first.EndsWith("; …", StringComparison.Ordinal) ? first
        : first.Length + second.Length < 240 ? $"{first}; {second}"
        : first + "; …";

    private static double UnionLength(IReadOnlyList<UnscreenedSpan> spans, double duration)
    {
        double total = 0, reached = double.NegativeInfinity;
        foreach (var span in spans.OrderBy(s => s.StartSeconds))
        {
            var start = Math.Max(Math.Max(span.StartSeconds, reached), 0);
            var end = Math.Min(span.EndSeconds, duration);
            if (end > start)
            {
                total += end - start;
            }

            reached = Math.Max(reached, span.EndSeconds);
        }

        return total;
    }

    private static double Round(double seconds) => Math.Round(seconds, 3);
}

/// <summary>The names reasons have in JSON and in evidence text (snake_case, like every enum the API writes).</summary>
public static class UnscreenedReasonNames
{
    public static string Of(UnscreenedReason reason) => reason switch
    {
        UnscreenedReason.FrameCap => "frame_cap",
        UnscreenedReason.DecoderError => "decoder_error",
        UnscreenedReason.TimeBudget => "time_budget",
        UnscreenedReason.ClassifierFailure => "classifier_failure",
        _ => reason.ToString(),
    };
}
