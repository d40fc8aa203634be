using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Compliance.Classifiers.Text;

/// <summary>
/// What is known about one (prompt, character) candidate, as the fusion model's input: how the name matched (if it
/// did), how much the text had to be normalised to match, casing and context cues around the match, and how close
/// the prompt came to the character's description and example prompts. The order of <see cref="Names"/> is the
/// order of <see cref="ToVector"/> and part of the model's version.
/// </summary>
public sealed record FusionFeatures
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "kind_exact", "kind_obfuscated", "kind_fuzzy", "kind_corroborated", "kind_namesake", "kind_uncorroborated", "kind_transliterated",
        "kind_none", "edit_distance", "alias_letters", "alias_words", "lexical_confidence", "normalisation_steps", "capitalised",
        "sentence_initial", "place_preposition_before", "article_before", "context_terms", "has_vectors", "similarity", "margin",
    ];

    public NameMatchKind? Kind { get; init; }
    public bool Transliterated { get; init; }
    public int EditDistance { get; init; }
    public int AliasLetters { get; init; }
    public int AliasWords { get; init; }
    public double LexicalConfidence { get; init; }
    public int NormalisationSteps { get; init; }
    public bool Capitalised { get; init; }
    public bool SentenceInitial { get; init; }
    public bool PlacePrepositionBefore { get; init; }
    public bool ArticleBefore { get; init; }
    public int ContextTerms { get; init; }
    public bool HasVectors { get; init; }
    public float Similarity { get; init; }
    public float Margin { get; init; }

    public float[] ToVector() =>
    [
        Is(NameMatchKind.Exact), Is(NameMatchKind.Obfuscated), Is(NameMatchKind.Fuzzy), Is(NameMatchKind.Corroborated),
        Is(NameMatchKind.Namesake), Is(NameMatchKind.Uncorroborated), Transliterated ? 1 : 0, Kind is null ? 1 : 0,
        EditDistance, AliasLetters, AliasWords, (float)LexicalConfidence, NormalisationSteps, Capitalised ? 1 : 0,
        SentenceInitial ? 1 : 0, PlacePrepositionBefore ? 1 : 0, ArticleBefore ? 1 : 0, ContextTerms, HasVectors ? 1 : 0,
        Similarity, Margin,
    ];

    /// <summary>A compact, stable rendering for evidence: "kind=namesake sim=0.412 ctx=0 cap=1".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"kind={(Kind?.ToString().ToLowerInvariant() ?? "none")}{(Transliterated ? "+translit" : "")} d={EditDistance} sim={Similarity:0.000} margin={Margin:0.000} ctx={ContextTerms} cap={(Capitalised ? 1 : 0)} start={(SentenceInitial ? 1 : 0)} place={(PlacePrepositionBefore ? 1 : 0)} steps={NormalisationSteps}");

    private float Is(NameMatchKind kind) => Kind == kind ? 1 : 0;

    private static readonly HashSet<string> PlacePrepositions = new(StringComparer.OrdinalIgnoreCase)
    {
        "in", "at", "to", "from", "near", "visit", "visiting", "visits", "across", "around", "outside", "downtown", "of", "via", "toward", "towards", "through",
    };

    private static readonly HashSet<string> Articles = new(StringComparer.OrdinalIgnoreCase) { "a", "an", "the", "my", "our", "her", "his", "their" };

    /// <summary>Features of a name match (and optionally of the semantic evidence for the same character).</summary>
    public static FusionFeatures Of(string text, NameMatch? match, NamedEntity character, bool transliterated, (float Similarity, float Margin)? semantic)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var prompt = new FusionText(text);
        return Of(prompt, match, character, transliterated, semantic);
    }

    /// <summary>The same, for one of several candidates of one prompt: the prompt's skeleton is folded once per
    /// <see cref="FusionText"/>, not once per candidate (ADR-040).</summary>
    internal static FusionFeatures Of(FusionText prompt, NameMatch? match, NamedEntity character, bool transliterated, (float Similarity, float Margin)? semantic)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(character);
        var text = prompt.Text;
        var features = new FusionFeatures
        {
            HasVectors = semantic is not null,
            Similarity = semantic?.Similarity ?? 0,
            Margin = semantic?.Margin ?? 0,
            ContextTerms = CountContextTerms(prompt, character, match),
        };
        if (match is null)
        {
            return features;
        }

        var previous = PreviousWord(text, match.Start);
        return features with
        {
            Kind = match.Kind,
            Transliterated = transliterated,
            EditDistance = match.EditDistance,
            AliasLetters = match.Alias.Count(char.IsLetterOrDigit),
            AliasWords = match.Alias.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length,
            LexicalConfidence = match.Confidence,
            NormalisationSteps = NormalisationStepsOf(match.MatchedText, match.Alias),
            Capitalised = match.MatchedText.Length > 0 && char.IsUpper(match.MatchedText[0]),
            SentenceInitial = previous is null || previous.Value.EndsSentence,
            PlacePrepositionBefore = previous is { } p && PlacePrepositions.Contains(p.Word),
            ArticleBefore = previous is { } a && Articles.Contains(a.Word),
        };
    }

    /// <summary>How many kinds of disguise the matched text shows: digits or leet symbols, non-ASCII letters, separators
    /// the alias lacks, invisible characters, odd capitals.</summary>
    internal static int NormalisationStepsOf(string matched, string alias)
    {
        var leet = matched.Any(c => char.IsAsciiDigit(c) || c is '@' or '$' or '!' or '|' or '+') && !alias.Any(char.IsAsciiDigit);
        var foreign = matched.Any(c => c > 0x7F && char.IsLetter(c)) && !alias.Any(c => c > 0x7F && char.IsLetter(c));
        var separators = matched.Count(c => !char.IsLetterOrDigit(c) && !char.IsWhiteSpace(c) && c is not ('@' or '$' or '!' or '|' or '+'))
            + matched.Count(char.IsWhiteSpace) > alias.Count(c => !char.IsLetterOrDigit(c));
        var invisible = matched.Any(c => char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.NonSpacingMark);
        var oddCase = matched.Skip(1).Count(char.IsUpper) > alias.Skip(1).Count(char.IsUpper) + 1;
        return (leet ? 1 : 0) + (foreign ? 1 : 0) + (separators ? 1 : 0) + (invisible ? 1 : 0) + (oddCase ? 1 : 0);
    }

    private static (string Word, bool EndsSentence)? PreviousWord(string text, int start)
    {
        var i = start - 1;
        while (i >= 0 && char.IsWhiteSpace(text[i]))
        {
            i--;
        }

        if (i < 0)
        {
            return null;
        }

        if (text[i] is '.' or '!' or '?' or ':' or ';' or '\n' or '"' or '(')
        {
            return ("", true);
        }

        var end = i + 1;
        while (i >= 0 && char.IsLetter(text[i]))
        {
            i--;
        }

        return (text[(i + 1)..end], false);
    }

    /// <summary>The character's context terms (franchise, allies, places) and other names found in the text outside the match.</summary>
    /// <remarks>
    /// The count is of distinct terms (ignoring case) whose printed skeleton (<see cref="TextNormalizer.ToSkeletonString"/>)
    /// has 3+ symbols and occurs in the printed skeleton of the text with the match replaced by one space: the value the
    /// shipped fusion model was trained on (a test compares it with building those strings on the data set and on
    /// random texts). That skeleton is spliced from the whole prompt's (<see cref="FusionText"/>, folded once per call)
    /// and a fold of the few words around the cut only: see <see cref="FusionText.CutSkeleton"/> for why the splice is
    /// the same symbols.
    /// </remarks>
    internal static int CountContextTerms(string text, NamedEntity character, NameMatch? match)
    {
        using var prompt = new FusionText(text);
        return CountContextTerms(prompt, character, match);
    }

    internal static int CountContextTerms(FusionText prompt, NamedEntity character, NameMatch? match)
    {
        char[]? rented = null;
        try
        {
            var haystack = match is null ? prompt.Printed : prompt.CutSkeleton(match.Start, match.Start + match.Length, out rented);
            var count = 0;
            foreach (var (term, key) in TermKeys.GetValue(character, KeysOf))
            {
                if ((match is null || !string.Equals(term, match.Alias, StringComparison.OrdinalIgnoreCase))
                    && key.Length <= haystack.Length && haystack.IndexOf(key, StringComparison.Ordinal) >= 0)
                {
                    count++;
                }
            }

            return count;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Per character (by reference: a catalog refresh brings new ones), its terms with their printed skeletons,
    /// folded once rather than per prompt.</summary>
    private static readonly ConditionalWeakTable<NamedEntity, (string Term, string Key)[]> TermKeys = new();

    private static readonly ConditionalWeakTable<NamedEntity, (string Term, string Key)[]>.CreateValueCallback KeysOf = character =>
    {
        var keys = new List<(string, string)>();
        var terms = character.ContextTerms.Count + character.Aliases.Count + 1;
        for (var i = 0; i < terms; i++)
        {
            var term = TermAt(character, i);
            var key = TextNormalizer.ToSkeletonString(term);

            // Only the first of equal terms counts (as Distinct(OrdinalIgnoreCase) would); a skeleton of under three
            // symbols never counts.
            if (!SeenBefore(character, term, i) && key.Length >= 3)
            {
                keys.Add((term, key));
            }
        }

        return [.. keys];
    };

    /// <summary>Whether one of the terms before <paramref name="index"/> equals <paramref name="term"/> ignoring case: only the
    /// first of equal terms counts, as with <c>Distinct(StringComparer.OrdinalIgnoreCase)</c>.</summary>
    private static bool SeenBefore(NamedEntity character, string term, int index)
    {
        for (var j = 0; j < index; j++)
        {
            if (string.Equals(TermAt(character, j), term, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The character's context terms, then its aliases, then its canonical name, by position.</summary>
    private static string TermAt(NamedEntity character, int index)
    {
        var aliases = index - character.ContextTerms.Count;
        return aliases < 0 ? character.ContextTerms[index] : aliases < character.Aliases.Count ? character.Aliases[aliases] : character.CanonicalName;
    }
}
