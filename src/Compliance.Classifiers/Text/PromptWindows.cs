namespace Compliance.Classifiers.Text;

/// <summary>A stretch of a prompt that is embedded on its own; <c>text.Substring(Start, Length) == Text</c>.</summary>
public readonly record struct PromptWindow(int Start, int Length, string Text);

/// <summary>
/// Splits a prompt into overlapping windows of words for the sentence model: a short prompt is one window; a long one
/// is windows of <see cref="WindowWords"/> words, each starting <see cref="StrideWords"/> words after the last, so a
/// description anywhere in the prompt falls mostly inside some window and that window is the evidence.
/// </summary>
public static class PromptWindows
{
    /// <summary>
    /// About the length of a description (9–22 words in the evaluation set): a description set among other sentences
    /// fills most of its window; in 60-word windows two in three went unflagged (ADR-023, docs/evaluation.md).
    /// </summary>
    public const int WindowWords = 20;

    /// <summary>Windows overlap by half, so any 10 words lie whole inside one window and a 20-word description has at
    /// least 11 of its words in one. Only the best-ranked windows go through the transformer (ADR-023).</summary>
    public const int StrideWords = 10;

    /// <summary>Prompts up to this many words (~400 characters) are embedded whole, as one window.</summary>
    public const int WholePromptWords = 64;

    public static IReadOnlyList<PromptWindow> Split(string text) => Split(text, WindowWords, StrideWords);

    /// <summary>Windows of <paramref name="windowWords"/> words every <paramref name="strideWords"/>; a prompt of up to
    /// <see cref="WholePromptWords"/> words stays one window.</summary>
    public static IReadOnlyList<PromptWindow> Split(string text, int windowWords, int strideWords)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowWords, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strideWords, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(strideWords, windowWords);
        var words = new List<(int Start, int End)>();
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i > start)
            {
                words.Add((start, i));
            }
        }

        if (words.Count == 0)
        {
            return [];
        }

        var windows = new List<PromptWindow>();
        if (words.Count <= WholePromptWords)
        {
            windows.Add(Window(text, words[0].Start, words[^1].End));
            return windows;
        }

        for (var first = 0; ; first += strideWords)
        {
            var last = Math.Min(first + windowWords, words.Count) - 1;
            windows.Add(Window(text, words[first].Start, words[last].End));
            if (last == words.Count - 1)
            {
                break;
            }
        }

        return windows;
    }

    private static PromptWindow Window(string text, int start, int end) => new(start, end - start, text[start..end]);
}
