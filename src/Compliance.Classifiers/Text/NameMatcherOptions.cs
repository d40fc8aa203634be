namespace Compliance.Classifiers.Text;

/// <summary>Thresholds of a <see cref="NameMatcher"/>. They are part of its <see cref="NameMatcher.Version"/>.</summary>
public sealed record NameMatcherOptions
{
    /// <summary>The defaults, calibrated on the ordinary-prompt corpus (see docs/text-matcher.md).</summary>
    public static NameMatcherOptions Default { get; } = new();

    /// <summary>
    /// Largest edit distance (insertion, deletion, substitution, adjacent transposition) for a fuzzy match; 0 turns
    /// fuzzy matching off. At most 2. Default 2 (two edits only in names of <see cref="MinFuzzyLengthForDistance2"/>+ symbols).
    /// </summary>
    public int MaxFuzzyDistance { get; init; } = 2;

    /// <summary>Shortest alias skeleton that may match at distance 1. Default 7: below it one edit turns too many
    /// ordinary words into names.</summary>
    public int MinFuzzyLength { get; init; } = 7;

    /// <summary>Shortest alias skeleton that may match at distance 2 (when <see cref="MaxFuzzyDistance"/> is 2). Default 12.</summary>
    public int MinFuzzyLengthForDistance2 { get; init; } = 12;

    /// <summary>Most whitespace-separated words a fuzzy window may span. Default 4 ("Clown Prince of Crime").</summary>
    public int MaxFuzzyWindowWords { get; init; } = 4;

    /// <summary>Alias skeletons shorter than this are ambiguous: they only fire when corroborated. Default 4.</summary>
    public int MinUnambiguousLength { get; init; } = 4;

    /// <summary>Whether an alias that is a common English word is ambiguous. Default true.</summary>
    public bool CommonWordsAreAmbiguous { get; init; } = true;

    /// <summary>
    /// Shortest alias skeleton that may match one edit away when the text corroborates it (a context term or another
    /// name of the entity nearby): "Shrk and Donkey in Far Far Away". Default 5.
    /// </summary>
    public int MinContextFuzzyLength { get; init; } = 5;

    /// <summary>
    /// Whether a one-word alias that is also a real place's or person's name, or an English word beyond the common ones
    /// (Resources/proper-nouns.txt: "Paris", "Jordan", "Ember"), is a possible namesake: reported in the review band
    /// unless corroborated. Default true.
    /// </summary>
    public bool ProperNounsAreNamesakes { get; init; } = true;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxFuzzyDistance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFuzzyDistance, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinFuzzyLength, 3);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinFuzzyLengthForDistance2, MinFuzzyLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFuzzyWindowWords, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFuzzyWindowWords, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinUnambiguousLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinContextFuzzyLength, 3);
    }
}
