using System.Text.RegularExpressions;

namespace Compliance.Generation.Generators;

/// <summary>One scene of a storyboard: a piece of the prompt and the frames that show it.</summary>
internal sealed record StoryboardScene(int Index, string Text, int FirstFrame, int FrameCount)
{
    public int EndFrame => FirstFrame + FrameCount;
}

/// <summary>
/// Splits a prompt into scenes: one per sentence (or line), or per comma-separated phrase when the prompt is a single
/// sentence; at most <c>maxScenes</c> (the tail is joined into the last scene), never more scenes than frames. The
/// frames are shared out evenly and in order, so the plan depends on nothing but its inputs.
/// </summary>
internal static partial class StoryboardScript
{
    public static IReadOnlyList<StoryboardScene> Plan(string prompt, int frameCount, int maxScenes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxScenes, 1);
        var pieces = Split(prompt, Math.Min(maxScenes, frameCount));
        var scenes = new StoryboardScene[pieces.Count];
        for (var i = 0; i < pieces.Count; i++)
        {
            var first = (int)((long)i * frameCount / pieces.Count);
            var end = (int)((long)(i + 1) * frameCount / pieces.Count);
            scenes[i] = new StoryboardScene(i, pieces[i], first, end - first);
        }

        return scenes;
    }

    internal static IReadOnlyList<string> Split(string prompt, int maxScenes)
    {
        var sentences = Clean(SentenceBreak().Split(prompt));
        var pieces = sentences.Count == 1 ? Clean(sentences[0].Split(',')) : sentences;
        if (pieces.Count == 0)
        {
            return [prompt.Trim()];
        }

        if (pieces.Count <= maxScenes)
        {
            return pieces;
        }

        var separator = sentences.Count == 1 ? ", " : " ";
        return [.. pieces.Take(maxScenes - 1), string.Join(separator, pieces.Skip(maxScenes - 1))];
    }

    private static List<string> Clean(IEnumerable<string> parts) =>
        [.. parts.Select(p => Whitespace().Replace(p, " ").Trim()).Where(p => p.Length > 0)];

    // A sentence ends at . ! ? or ; followed by whitespace, or at a line break.
    [GeneratedRegex(@"(?<=[.!?;])\s+|[\r\n]+", RegexOptions.CultureInvariant)]
    private static partial Regex SentenceBreak();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}
