namespace Compliance.Classifiers.Text;

/// <summary>A stretch of a prompt that is embedded on its own; <c>text.Substring(Start, Length) == Text</c>.</summary>
public readonly record struct PromptWindow(int Start, int Length, string Text);

/// <summary>
/// Splits a prompt into overlapping windows of words for the sentence model: a short prompt is one window; a long one
/// is windows of <see cref="WindowWords"/> words, each starting <see cref="StrideWords"/> words after the last, so a
/// description anywhere in the prompt falls whole inside some window and that window is the evidence.
/// </summary>
public static class PromptWindows
{
    /// <summary>~80–100 word pieces: well inside MiniLM's 256-token window, and longer than a typical description.</summary>
    public const int WindowWords = 60;

    /// <summary>Windows overlap by 20 words, so a description of up to 20 words always lies whole inside one, while a
    /// 2,000-character prompt costs ~8 windows rather than the 16+ of a half-window stride (bench/README.md).</summary>
    public const int StrideWords = 40;

    /// <summary>Prompts up to this many words (~400 characters) are embedded whole, as one window.</summary>
    public const int WholePromptWords = 64;

    public static IReadOnlyList<PromptWindow> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
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

        for (var first = 0; ; first += StrideWords)
        {
            var last = Math.Min(first + WindowWords, words.Count) - 1;
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
