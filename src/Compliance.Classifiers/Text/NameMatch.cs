namespace Compliance.Classifiers.Text;

/// <summary>One catalog name found in a text.</summary>
/// <param name="Entity">The entity whose name was found.</param>
/// <param name="Alias">The catalog spelling that matched (the canonical name or one alias).</param>
/// <param name="Start">UTF-16 offset of the match in the original text.</param>
/// <param name="Length">UTF-16 length of the match in the original text.</param>
/// <param name="MatchedText">The original text at the match: <c>text.Substring(Start, Length)</c>.</param>
/// <param name="Kind">How the name was found.</param>
/// <param name="EditDistance">Edits between the text's skeleton and the alias's skeleton (0 unless fuzzy).</param>
/// <param name="Confidence">1.0 exact, 0.95 obfuscated, 0.75–0.85 fuzzy (0.7 for a short name with context), 0.7 corroborated,
/// 0.6 namesake, 0.4 uncorroborated.</param>
public sealed record NameMatch(
    NamedEntity Entity,
    string Alias,
    int Start,
    int Length,
    string MatchedText,
    NameMatchKind Kind,
    int EditDistance,
    double Confidence);

/// <summary>How a <see cref="NameMatch"/> was found.</summary>
public enum NameMatchKind
{
    /// <summary>The text spells the alias, ignoring case and the kind of separator between its words.</summary>
    Exact,

    /// <summary>Found only after folding diacritics, look-alike letters, leetspeak, inserted separators or repeated letters.</summary>
    Obfuscated,

    /// <summary>Within a small edit distance of a long alias.</summary>
    Fuzzy,

    /// <summary>An ambiguous alias (short, or a common word) confirmed by another name or context term of the same entity.</summary>
    Corroborated,

    /// <summary>A one-word alias that is also a real place's or person's name ("Paris"), with nothing in the text to confirm the character.</summary>
    Namesake,

    /// <summary>
    /// An ambiguous alias with nothing to confirm it (a common word, a lower-case phrase of common words, a short name
    /// one edit away): only from <see cref="NameMatcher.FindCandidates"/>, for a caller that weighs context.
    /// </summary>
    Uncorroborated,
}
