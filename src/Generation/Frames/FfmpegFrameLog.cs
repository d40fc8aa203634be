using System.Globalization;

namespace Compliance.Generation.Frames;

/// <summary>
/// Reads the stderr lines that ffmpeg's <c>metadata=mode=print</c> filter writes for each output frame:
/// <code>
/// [Parsed_metadata_3 @ 0x…] frame:2    pts:30720   pts_time:2
/// [Parsed_metadata_3 @ 0x…] lavfi.scene_score=0.560600
/// [Parsed_metadata_3 @ 0x…] compliance.sampled=1
/// </code>
/// The marker key is added by the sampler's filter chain last, so it closes each frame's record; without it a frame
/// with no other metadata (scene detection off) would print nothing at all.
/// </summary>
internal sealed class FfmpegFrameLog
{
    internal const string MarkerKey = "compliance.sampled";
    private const string PtsTimeToken = "pts_time:";
    private const string SceneScoreToken = "lavfi.scene_score=";
    private const int KeptDiagnosticLines = 12;
    private const int KeptErrorLines = 3;

    private readonly Queue<string> _diagnostics = new();
    private readonly Queue<string> _errors = new();
    private double? _ptsTime;
    private double? _sceneScore;

    /// <summary>The last lines that were not frame metadata: ffmpeg's own explanation when it fails.</summary>
    public string Diagnostics => string.Join('\n', _diagnostics);

    /// <summary>
    /// The last few lines in which ffmpeg reported a decoding problem ("partial file", "Invalid data", "error ..."),
    /// joined on one line: the detail of a span that went unscreened because decoding stopped.
    /// </summary>
    public string Errors => string.Join(" | ", _errors);

    /// <summary>Feeds one stderr line; returns a stamp when the line completes a frame's record.</summary>
    public FrameStamp? Accept(string line)
    {
        var ptsAt = line.IndexOf(PtsTimeToken, StringComparison.Ordinal);
        if (ptsAt >= 0 && line.Contains("frame:", StringComparison.Ordinal))
        {
            _ptsTime = ParseDouble(line.AsSpan(ptsAt + PtsTimeToken.Length));
            _sceneScore = null;
            return null;
        }

        var sceneAt = line.IndexOf(SceneScoreToken, StringComparison.Ordinal);
        if (sceneAt >= 0)
        {
            _sceneScore = ParseDouble(line.AsSpan(sceneAt + SceneScoreToken.Length));
            return null;
        }

        if (line.Contains(MarkerKey + "=", StringComparison.Ordinal))
        {
            var stamp = _ptsTime is { } t ? new FrameStamp(t, _sceneScore) : (FrameStamp?)null;
            _ptsTime = null;
            _sceneScore = null;
            return stamp;
        }

        Keep(_diagnostics, line, KeptDiagnosticLines);
        if (line.Contains("error", StringComparison.OrdinalIgnoreCase) || line.Contains("invalid", StringComparison.OrdinalIgnoreCase)
            || line.Contains("partial file", StringComparison.Ordinal) || line.Contains("corrupt", StringComparison.OrdinalIgnoreCase))
        {
            // Drop the "[demuxer @ 0x55...]" prefix: the address means nothing to a reader of the decision.
            var at = line.IndexOf("] ", StringComparison.Ordinal);
            Keep(_errors, at > 0 && line.StartsWith('[') ? line[(at + 2)..] : line, KeptErrorLines);
        }

        return null;
    }

    private static void Keep(Queue<string> lines, string line, int count)
    {
        if (lines.Count == count)
        {
            lines.Dequeue();
        }

        lines.Enqueue(line.Length > 200 ? line[..200] : line);
    }

    private static double? ParseDouble(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        var end = text.IndexOfAny(' ', '\t');
        if (end >= 0)
        {
            text = text[..end];
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;
    }
}

/// <summary>Presentation time and scene score of one frame that left ffmpeg's filter chain.</summary>
internal readonly record struct FrameStamp(double TimestampSeconds, double? SceneScore);
