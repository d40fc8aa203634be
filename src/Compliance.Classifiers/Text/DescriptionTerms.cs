namespace Compliance.Classifiers.Text;

/// <summary>
/// The distinctive words of each character's description and example prompts (ADR-046): a word that at most a tenth of
/// the catalog's characters use. A window that shares several of them with one character has that character's details,
/// not just its theme: "a black cat sleeping in the sun" shares "cat" with a shadow cat, a description of it also has
/// "shadow", "yellow", "key". Words are lower-cased letter runs of 3+ letters, function words dropped, crudely stemmed
/// (<see cref="Stem"/>), held as 64-bit hashes (a sorted array per character). Immutable and thread-safe.
/// </summary>
public sealed class DescriptionTerms
{
    /// <summary>The version of the words, the stemmer and the distinctiveness rule, for evidence and decisions.</summary>
    public const string Version = "terms/1";

    /// <summary>A word is distinctive when at most this share of the catalog's characters (and at least one) use it.</summary>
    public const double DistinctiveShare = 0.10;

    public static DescriptionTerms Empty { get; } = new(new Dictionary<Guid, ulong[]>(), false);

    private readonly Dictionary<Guid, ulong[]> _distinctive;
    private readonly bool _exceptCommonWords;

    private DescriptionTerms(Dictionary<Guid, ulong[]> distinctive, bool exceptCommonWords)
    {
        _distinctive = distinctive;
        _exceptCommonWords = exceptCommonWords;
    }

    /// <summary>How many characters have terms.</summary>
    public int CharacterCount => _distinctive.Count;

    /// <summary>The distinctive terms of each character, given all its texts (description and example prompts).</summary>
    /// <param name="characters">Each character's texts.</param>
    /// <param name="exceptCommonWords">
    /// An experiment of ADR-046 (the tool's <c>corroboration --except-common-words</c>), not what the service does: also
    /// drop the 20,000 most common English words (<see cref="CommonWords"/>), a yardstick that does not move with the catalog.
    /// </param>
    public static DescriptionTerms Build(IEnumerable<(Guid Id, IEnumerable<string> Texts)> characters, bool exceptCommonWords = false)
    {
        ArgumentNullException.ThrowIfNull(characters);
        var terms = new Dictionary<Guid, HashSet<ulong>>();
        foreach (var (id, texts) in characters)
        {
            if (!terms.TryGetValue(id, out var set))
            {
                terms[id] = set = [];
            }

            foreach (var text in texts)
            {
                AddTerms(text, set, exceptCommonWords);
            }
        }

        var documentFrequency = new Dictionary<ulong, int>();
        foreach (var set in terms.Values)
        {
            foreach (var term in set)
            {
                documentFrequency[term] = documentFrequency.GetValueOrDefault(term) + 1;
            }
        }

        var most = Math.Max(1, (int)Math.Floor(DistinctiveShare * terms.Count));
        var distinctive = new Dictionary<Guid, ulong[]>(terms.Count);
        foreach (var (id, set) in terms)
        {
            var kept = set.Where(t => documentFrequency[t] <= most).ToArray();
            Array.Sort(kept);
            distinctive[id] = kept;
        }

        return new DescriptionTerms(distinctive, exceptCommonWords);
    }

    /// <summary>How many distinct distinctive terms of the character occur in <paramref name="window"/>.</summary>
    public int CountIn(Guid characterId, string window)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (!_distinctive.TryGetValue(characterId, out var mine) || mine.Length == 0)
        {
            return 0;
        }

        var found = new HashSet<ulong>();
        AddTerms(window, found, _exceptCommonWords);
        var count = 0;
        foreach (var term in found)
        {
            if (Array.BinarySearch(mine, term) >= 0)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The hashes of the terms of <paramref name="text"/>, added to <paramref name="terms"/>.</summary>
    internal static void AddTerms(string text, HashSet<ulong> terms, bool exceptCommonWords = false)
    {
        Span<char> word = stackalloc char[64];
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsLetter(text[i]))
            {
                i++;
                continue;
            }

            var length = 0;
            var start = i;
            while (i < text.Length && char.IsLetter(text[i]))
            {
                if (length < word.Length)
                {
                    word[length++] = char.ToLowerInvariant(text[i]);
                }

                i++;
            }

            if (i - start > word.Length || length < 3 || (exceptCommonWords && CommonWords.Contains(new string(word[..length]))))
            {
                continue;
            }

            var stem = Stem(word[..length]);
            if (stem.Length >= 3 && !FunctionWords.Contains(stem))
            {
                terms.Add(Hash(stem));
            }
        }
    }

    /// <summary>
    /// A crude English stemmer, fixed by ADR-046: a final "ies" becomes "y"; else a final "s" is dropped unless the word
    /// ends in "ss" or "us"; then a final "ing" or "ed" is dropped when 3+ letters remain. Enough to meet "tails" and
    /// "tail", "glowing" and "glow", "stories" and "story"; it does not have to produce words.
    /// </summary>
    internal static ReadOnlySpan<char> Stem(Span<char> word)
    {
        if (word.EndsWith("ies") && word.Length >= 5)
        {
            word[^3] = 'y';
            word = word[..^2];
        }
        else if (word.Length >= 4 && word[^1] == 's' && word[^2] is not ('s' or 'u'))
        {
            word = word[..^1];
        }

        if (word.EndsWith("ing") && word.Length >= 6)
        {
            word = word[..^3];
        }
        else if (word.EndsWith("ed") && word.Length >= 5)
        {
            word = word[..^2];
        }

        return word;
    }

    /// <summary>FNV-1a, 64 bits: stable across processes (string hashes are not), collisions negligible at catalog scale.</summary>
    private static ulong Hash(ReadOnlySpan<char> stem)
    {
        var h = 14695981039346656037UL;
        foreach (var c in stem)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }

    /// <summary>English function words (and a few generic verbs) that say nothing about a character; fixed by ADR-046.</summary>
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> FunctionWords = new HashSet<string>(StringComparer.Ordinal)
    {
        "the", "and", "with", "for", "from", "into", "onto", "over", "under", "his", "her", "hers", "its", "their", "who",
        "whose", "which", "that", "this", "these", "those", "through", "across", "between", "behind", "around", "while",
        "when", "where", "without", "about", "above", "below", "has", "have", "had", "are", "was", "were", "been", "being",
        "one", "all", "any", "each", "every", "some", "very", "too", "than", "then", "there", "here", "they", "them", "she",
        "him", "you", "your", "our", "out", "off", "not", "but", "can", "will", "like", "made", "full", "much", "many",
        "more", "most", "other", "another", "upon", "down", "back", "along", "among", "against", "after", "before", "what",
        "just", "own", "whole", "whenever", "wherever", "also", "such", "only", "far", "way", "get", "got", "make",
        "look", "use", "via", "per",
    }.GetAlternateLookup<ReadOnlySpan<char>>();
}
