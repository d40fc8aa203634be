using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Compliance.Classifiers.Text;

/// <summary>
/// Finds the names of catalog entities in a text, resisting the usual evasions: case, diacritics, look-alike
/// letters, leetspeak, separators or zero-width characters inside names, repeated letters, and (for long names)
/// small misspellings. Build once per catalog; instances are immutable and <see cref="Find(string)"/> is thread-safe.
/// </summary>
/// <remarks>
/// Exact and obfuscated matches come from one walk of a skeleton trie at each word start of the text; fuzzy
/// matches from a symmetric deletion index over 1–3 word windows. Both cost per prompt character is independent of
/// the catalog size. Design, thresholds and measured figures: docs/text-matcher.md.
/// </remarks>
public sealed class NameMatcher
{
    /// <summary>The matching algorithm's version, part of <see cref="Version"/> and of the signals' model version.</summary>
    public const string AlgorithmVersion = "name-matcher/3";
    private const double ObfuscatedConfidence = 0.95;
    private const double CorroboratedConfidence = 0.7;
    private const double NamesakeConfidence = 0.6;
    private const double UncorroboratedConfidence = 0.4;
    private const double ShortFuzzyConfidence = 0.7;
    private const byte RoleName = 0;
    private const byte RoleContext = 1;

    private readonly NameMatcherOptions _options;
    private readonly NamedEntity[] _entities;

    // Per alias (names and context terms): entity index, original spelling, role, ambiguity, word gaps, parts.
    private readonly int[] _aliasEntity;
    private readonly string[] _aliasText;
    private readonly byte[] _aliasRole;
    private readonly Ambiguity[] _aliasAmbiguity;
    private readonly ulong[] _aliasGaps;
    private readonly ulong[] _aliasCapitals;
    private readonly byte[] _aliasParts;

    // Per pattern (distinct skeleton): symbols in one flat array, and its aliases.
    private readonly ushort[] _patternSymbols;
    private readonly int[] _patternOffsets;
    private readonly int[] _patternAliasStart;
    private readonly int[] _patternAliases;
    private readonly int[] _aliasPattern;

    private readonly SkeletonTrie _trie;
    private readonly FingerprintTable? _fuzzy;

    // Two-edit candidates from pairs of the four pieces of every pattern that may match two edits away, keyed by the
    // pattern's length and the pair (ADR-033, ADR-040), built only on request; null otherwise, when the two-symbol
    // deletions in _fuzzy give those candidates.
    private readonly FingerprintTable? _pieces;
    private readonly bool _pieceIndex;
    private readonly FingerprintTable? _aliasWords;

    // Every word of an eligible multi-word alias (and run of its parts) with each of its one-symbol deletions, and those
    // with each of their two-symbol deletions (ADR-048): a prompt word none of whose own such variants is among them is
    // at least two (three) edits from every alias word, so a window of several words is not probed when its words'
    // least edits already exceed what any pattern of its length allows.
    private readonly FingerprintFilter? _nearWords;
    private readonly FingerprintFilter? _nearWords2;

    // The fuzzy-index keys (skeleton hashes) of the patterns that have a one-part eligible alias: a one-part window,
    // which can only match such an alias, none of whose keys is here has no candidate to look up (ADR-048).
    private readonly FingerprintFilter? _onePartKeys;

    // What the filters above answered for a prompt word, by the word's skeleton hash (ADR-053): the same word in the
    // next prompt costs one read of a table that stays in the core's cache instead of one to a few dozen filter lines
    // scattered over megabytes. Per catalog: a new matcher starts empty.
    private readonly WordMemo? _wordMemo;

    // The windows (symbols, parts, probed in full or one edit away) that were probed and verified and gave no match
    // (ADR-053): skipped the next time. A window that gave a match is always probed and verified again.
    private readonly WordMemo? _windowMemo;
    private readonly bool _wordBounds;
    private readonly int _fuzzyMinLength;
    private readonly int _fuzzyMaxLength;

    // Skeleton lengths of the patterns that may match two edits away: a window's two-symbol deletions can only meet
    // one of them (see FindFuzzy), so shorter or longer windows skip those probes.
    private readonly int _distance2MinLength;
    private readonly int _distance2MaxLength;

    private NameMatcher(NameMatcherOptions options, NamedEntity[] entities, BuildState state, bool pieceIndex, bool wordBounds, bool memoizeWords)
    {
        _options = options;
        _pieceIndex = pieceIndex;
        _wordBounds = wordBounds;
        _entities = entities;
        _aliasEntity = [.. state.AliasEntity];
        _aliasText = [.. state.AliasText];
        _aliasRole = [.. state.AliasRole];
        _aliasAmbiguity = [.. state.AliasAmbiguity];
        _aliasGaps = [.. state.AliasGaps];
        _aliasCapitals = [.. state.AliasCapitals];
        _aliasParts = [.. state.AliasParts];

        // Sort aliases by skeleton; equal skeletons share one pattern.
        var order = Enumerable.Range(0, state.AliasSkeletons.Count).ToArray();
        var skeletons = state.AliasSkeletons;
        Array.Sort(order, (x, y) =>
        {
            var c = skeletons[x].AsSpan().SequenceCompareTo(skeletons[y]);
            return c != 0 ? c : x.CompareTo(y);
        });
        var patterns = new List<ushort[]>();
        var aliasStart = new List<int>();
        _patternAliases = new int[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            if (i == 0 || !skeletons[order[i]].AsSpan().SequenceEqual(skeletons[order[i - 1]]))
            {
                patterns.Add(skeletons[order[i]]);
                aliasStart.Add(i);
            }

            _patternAliases[i] = order[i];
        }

        aliasStart.Add(order.Length);
        _aliasPattern = new int[order.Length];
        for (var p = 0; p < aliasStart.Count - 1; p++)
        {
            for (var i = aliasStart[p]; i < aliasStart[p + 1]; i++)
            {
                _aliasPattern[order[i]] = p;
            }
        }

        _patternAliasStart = [.. aliasStart];
        _patternOffsets = new int[patterns.Count + 1];
        for (var p = 0; p < patterns.Count; p++)
        {
            _patternOffsets[p + 1] = _patternOffsets[p] + patterns[p].Length;
        }

        _patternSymbols = new ushort[_patternOffsets[^1]];
        for (var p = 0; p < patterns.Count; p++)
        {
            patterns[p].CopyTo(_patternSymbols, _patternOffsets[p]);
        }

        _trie = new SkeletonTrie(patterns);
        (_fuzzy, _pieces, _aliasWords, _nearWords, _nearWords2, _onePartKeys, _fuzzyMinLength, _fuzzyMaxLength, _distance2MinLength, _distance2MaxLength) = BuildFuzzyIndex(patterns);
        _wordMemo = _fuzzy is null || !memoizeWords ? null : new WordMemo();
        // The piece index (ADR-033) adds candidates the window memo's key does not cover: no window memo with it.
        _windowMemo = _fuzzy is null || !memoizeWords || pieceIndex ? null : new WordMemo();
        Version = ComputeVersion(options, entities);
    }

    /// <summary>A matcher with no entities; it finds nothing.</summary>
    public static NameMatcher Empty { get; } = Build([]);

    /// <summary>Short content hash of the entity set, the options and the algorithm; the same input gives the same value.</summary>
    public string Version { get; }

    /// <summary>Number of entities in the catalog.</summary>
    public int EntityCount => _entities.Length;

    /// <summary>Number of distinct skeletons (names and context terms) in the trie.</summary>
    public int PatternCount => _patternOffsets.Length - 1;

    /// <summary>Trie nodes and fuzzy-index entries, for the size figures in the benchmark.</summary>
    internal (int TrieNodes, int FuzzyEntries, int Aliases) Size => (_trie.NodeCount, (_fuzzy?.Count ?? 0) + (_pieces?.Count ?? 0), _aliasText.Length);

    /// <summary>Builds a matcher for <paramref name="entities"/>. Cost is linear in the total length of their names.</summary>
    public static NameMatcher Build(IEnumerable<NamedEntity> entities, NameMatcherOptions? options = null) =>
        Build(entities, options, pieceIndex: false);

    /// <summary>
    /// With <paramref name="pieceIndex"/>, two-edit candidates come from pairs of the four pieces of each long pattern
    /// found exactly in the window instead of every two-symbol deletion of the patterns and the windows: the same matches
    /// (the tests compare the two) from far fewer fingerprints (ADR-033, ADR-040).
    /// </summary>
    /// <remarks>
    /// <paramref name="wordBounds"/> false probes every multi-word window as before ADR-048, for the tests that compare the
    /// two and for the benchmark's same-run baseline. <paramref name="memoizeWords"/> false asks the filters for every
    /// prompt word every time, as before ADR-053 (the same answers), for the same tests and the benchmark.
    /// </remarks>
    internal static NameMatcher Build(IEnumerable<NamedEntity> entities, NameMatcherOptions? options, bool pieceIndex, bool wordBounds = true, bool memoizeWords = true)
    {
        ArgumentNullException.ThrowIfNull(entities);
        options ??= NameMatcherOptions.Default;
        options.Validate();
        var list = entities.ToArray();
        var state = new BuildState();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var e = 0; e < list.Length; e++)
        {
            var entity = list[e] ?? throw new ArgumentException("Entities must not be null.", nameof(entities));
            seen.Clear();
            if (entity.MatchCanonicalName)
            {
                state.AddAlias(e, entity.CanonicalName, RoleName, seen, options);
            }

            foreach (var alias in entity.Aliases ?? [])
            {
                state.AddAlias(e, alias, RoleName, seen, options);
                // A name given in another script is also looked for in its romanised form, which is what a prompt in
                // that script (or another writing of it: hiragana for katakana, half-width forms) is matched as.
                if (ScriptTransliteration.HasOtherScript(alias))
                {
                    state.AddAlias(e, ScriptTransliteration.Romanise(alias), RoleName, seen, options);
                }
            }

            foreach (var term in entity.ContextTerms ?? [])
            {
                state.AddAlias(e, term, RoleContext, seen, options);
            }
        }

        return new NameMatcher(options, list, state, pieceIndex, wordBounds, memoizeWords);
    }

    /// <summary>Finds the catalog names in <paramref name="text"/>, ordered by position.</summary>
    /// <remarks>
    /// An ambiguous alias (a common word, a short name, a phrase of common words written in lower case, a short name
    /// one edit away) is reported only when the text corroborates it; a single-word alias that is also a real place's
    /// or person's name is reported as <see cref="NameMatchKind.Namesake"/> with a review-band confidence.
    /// </remarks>
    public IReadOnlyList<NameMatch> Find(string text) => Find(text, candidates: false);

    /// <summary>
    /// Like <see cref="Find(string)"/>, and also every ambiguous alias the text does not corroborate, as
    /// <see cref="NameMatchKind.Uncorroborated"/> with a low confidence: candidates for a caller that weighs context
    /// (the fused text classifier), never a decision on their own.
    /// </summary>
    public IReadOnlyList<NameMatch> FindCandidates(string text) => Find(text, candidates: true);

    private IReadOnlyList<NameMatch> Find(string text, bool candidates)
    {
        var (matches, all) = Find(text, matches: !candidates, candidates: candidates);
        return candidates ? all : matches;
    }

    /// <summary>
    /// <see cref="Find(string)"/> and <see cref="FindCandidates(string)"/> from one walk of the text: the fused
    /// classifier needs both, and the walk is the cost (the two differ only in what is reported).
    /// </summary>
    internal (IReadOnlyList<NameMatch> Matches, IReadOnlyList<NameMatch> Candidates) FindBoth(string text) =>
        Find(text, matches: true, candidates: true);

    /// <summary>
    /// <see cref="FindBoth(string)"/>, handing the text's skeleton to the caller (who returns it to the pool, e.g. through
    /// <see cref="FusionText"/>) instead of folding the prompt a second time for the fusion features; null when the
    /// walk did not fold it.
    /// </summary>
    internal (IReadOnlyList<NameMatch> Matches, IReadOnlyList<NameMatch> Candidates) FindBoth(string text, out Skeleton? skeleton) =>
        Find(text, matches: true, candidates: true, out skeleton);

    private (IReadOnlyList<NameMatch> Matches, IReadOnlyList<NameMatch> Candidates) Find(string text, bool matches, bool candidates)
    {
        var found = Find(text, matches, candidates, out var skeleton);
        skeleton?.Return();
        return found;
    }

    private (IReadOnlyList<NameMatch> Matches, IReadOnlyList<NameMatch> Candidates) Find(string text, bool matches, bool candidates, out Skeleton? folded)
    {
        ArgumentNullException.ThrowIfNull(text);
        folded = null;
        if (text.Length == 0 || PatternCount == 0)
        {
            return ([], []);
        }

        var skeleton = Skeleton.Create(text);
        folded = skeleton;
        var hits = Scratch.Hits;
        try
        {
            FindExact(text, skeleton, hits);
            if (_fuzzy is not null)
            {
                FindFuzzy(text, skeleton, hits);
            }

            if (hits.Count == 0)
            {
                return ([], []);
            }

            return (matches ? Resolve(text, skeleton, hits, reportUncorroborated: false) : [],
                candidates ? Resolve(text, skeleton, hits, reportUncorroborated: true) : []);
        }
        catch
        {
            folded = null;
            skeleton.Return();
            throw;
        }
        finally
        {
            hits.Clear();
        }
    }

    /// <summary>
    /// Per-thread working lists of <see cref="Find(string)"/>: a call allocates only what it returns. (A call is
    /// synchronous and never re-enters the matcher on its thread.)
    /// </summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? _current;

        private static Scratch Current => _current ??= new Scratch();

        public static List<Hit> Hits => Current._hits;

        public static Scratch Fuzzy => Current;

        private readonly List<Hit> _hits = new(64);

        public List<int> WordStarts { get; } = new(512);

        public List<bool> Common { get; } = new(512);

        /// <summary>Per word, its skeleton hash (the <see cref="WordMemo"/> key).</summary>
        public List<ulong> WordHashes { get; } = new(512);

        /// <summary>Per word, a lower bound on its edits to any alias word: 0 (an alias word), 1, 2, 3 ("three or more");
        /// -2 for "two or more" before the two-deletion check; -1 until needed (ADR-048).</summary>
        public List<sbyte> Edits { get; } = new(512);

        public HashSet<(int, int)> ExactSpans { get; } = [];

        public CandidateSet Candidates { get; } = new();

        public OsaWindow Osa { get; } = new();

        private ulong[] _prefix = new ulong[512];
        private ulong[] _power = new ulong[512];

        /// <summary>Offsets in the prompt of the characters that disguise a window, in order (ADR-048).</summary>
        public List<int> DisguiseMarks { get; } = new(16);

        private ulong[] _variants = new ulong[256];

        /// <summary>
        /// The hashes of the <paramref name="length"/> symbols at <paramref name="start"/>, then of them without each one
        /// symbol (k = 0, 1, …), then, with <paramref name="twoDeletions"/>, without each pair (k, then j &gt; k): in that
        /// order (candidates keep their order, ADR-027), each from the prefix hashes in O(1) (ADR-033) — the values
        /// <see cref="SkeletonHash.Of"/> and <see cref="SkeletonHash.OfDeletions"/> give. Hashed together so that their
        /// filter lines can be asked for together before any is tested (<see cref="FingerprintFilter.PrefetchHash"/>).
        /// Valid until the next call.
        /// </summary>
        public ReadOnlySpan<ulong> Variants(ReadOnlySpan<ulong> prefix, ReadOnlySpan<ulong> power, int start, int length, bool twoDeletions)
        {
            var variants = Sized(ref _variants, 1 + length + (twoDeletions ? length * (length - 1) / 2 : 0));
            var n = 0;
            variants[n++] = SkeletonHash.OfRange(prefix, power, start, length);
            for (var k = 0; k < length; k++)
            {
                variants[n++] = SkeletonHash.OfDeletion(prefix, power, start, length, k);
            }

            for (var k = 0; twoDeletions && k < length; k++)
            {
                for (var j = k + 1; j < length; j++)
                {
                    variants[n++] = SkeletonHash.OfTwoDeletions(prefix, power, start, length, k, j);
                }
            }

            return variants;
        }

        public Span<ulong> Prefix(int length) => Sized(ref _prefix, length);

        public Span<ulong> Power(int length) => Sized(ref _power, length);

        private static Span<ulong> Sized(ref ulong[] array, int length)
        {
            if (array.Length < length)
            {
                array = new ulong[Math.Max(length, array.Length * 2)];
            }

            return array.AsSpan(0, length);
        }
    }

    private ReadOnlySpan<ushort> Pattern(int pattern) =>
        _patternSymbols.AsSpan(_patternOffsets[pattern], _patternOffsets[pattern + 1] - _patternOffsets[pattern]);

    private void FindExact(string text, Skeleton skeleton, List<Hit> hits)
    {
        var symbols = skeleton.Symbols;
        var flags = skeleton.Flags;
        for (var start = 0; start < skeleton.Length; start++)
        {
            if ((flags[start] & Skeleton.WordStart) == 0)
            {
                continue;
            }

            var node = 0;
            for (var end = start; end < skeleton.Length; end++)
            {
                node = _trie.Step(node, symbols[end]);
                if (node < 0)
                {
                    break;
                }

                var pattern = _trie.PatternAt(node);
                if (pattern < 0 || (flags[end] & Skeleton.BoundaryAfter) == 0)
                {
                    continue;
                }

                for (var i = _patternAliasStart[pattern]; i < _patternAliasStart[pattern + 1]; i++)
                {
                    var alias = _patternAliases[i];
                    if (GapsFit(skeleton, start, end, _aliasGaps[alias], text))
                    {
                        hits.Add(new Hit(alias, start, end, 0, IsFuzzy: false));
                    }
                }
            }
        }
    }

    /// <summary>
    /// Whitespace inside a match must fall where the alias itself has a break ("spider man" for "Spider-Man"), unless
    /// the name is spaced out ("s p i d e r m a n", also in pairs mixed with leetspeak: "b@ t m a n") or visibly
    /// disguised (leetspeak digits or symbols, look-alike letters: "dead p00l"): otherwise "dead pool" would be
    /// "Deadpool".
    /// </summary>
    private static bool GapsFit(Skeleton skeleton, int start, int end, ulong aliasGaps, string text)
    {
        var misplaced = false;
        var spacedOut = true;
        var segment = 1;
        var longestSegment = 1;
        for (var k = 1; k <= end - start; k++)
        {
            var flags = skeleton.Flags[start + k];
            spacedOut &= (flags & Skeleton.GapBefore) != 0;
            misplaced |= (flags & Skeleton.HardGapBefore) != 0 && k < 64 && (aliasGaps & (1UL << k)) == 0;
            segment = (flags & Skeleton.GapBefore) != 0 ? 1 : segment + 1;
            longestSegment = Math.Max(longestSegment, segment);
        }

        return !misplaced || spacedOut || longestSegment <= 2 || IsDisguised(text, skeleton.Starts[start], skeleton.Ends[end]);
    }

    /// <summary>Whether a span holds digits, leetspeak symbols or non-ASCII letters: signs of a name written to evade.</summary>
    private static bool IsDisguised(string text, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            var c = text[i];
            if (char.IsAsciiDigit(c) || c is '@' or '$' or '!' or '|' or '+' || (c > 0x7F && char.IsLetter(c)))
            {
                return true;
            }
        }

        return false;
    }

    private void FindFuzzy(string text, Skeleton skeleton, List<Hit> hits)
    {
        var fuzzy = _fuzzy!;
        var maxDistance = _options.MaxFuzzyDistance;

        // Words: runs of symbols between whitespace.
        var scratch = Scratch.Fuzzy;
        var wordStarts = scratch.WordStarts;
        var common = scratch.Common;
        var wordHashes = scratch.WordHashes;
        var memo = _wordMemo;
        var edits = scratch.Edits;
        var exactSpans = scratch.ExactSpans;
        var candidates = scratch.Candidates;
        wordStarts.Clear();
        common.Clear();
        wordHashes.Clear();
        edits.Clear();
        exactSpans.Clear();
        for (var i = 0; i < skeleton.Length; i++)
        {
            if ((skeleton.Flags[i] & Skeleton.HardGapBefore) != 0)
            {
                wordStarts.Add(i);
            }
        }

        wordStarts.Add(skeleton.Length);

        // Raw polynomial hashes of every prefix of the skeleton: any word, window or piece of one in O(1).
        var prefix = scratch.Prefix(skeleton.Length + 1);
        var power = scratch.Power(skeleton.Length + 1);
        SkeletonHash.Prefixes(skeleton.Span, prefix, power);

        var words = wordStarts.Count - 1;
        for (var w = 0; w < words; w++)
        {
            var hash = SkeletonHash.OfRange(prefix, power, wordStarts[w], wordStarts[w + 1] - wordStarts[w]);
            common.Add(CommonWords.ContainsHash(hash));
            wordHashes.Add(hash);
            var aliasWord = memo?.Get(hash, WordMemo.AliasWord) ?? -1;
            if (aliasWord < 0)
            {
                aliasWord = _aliasWords!.Contains(SkeletonHash.Fingerprint(hash)) ? 1 : 0;
                memo?.Set(hash, WordMemo.AliasWord, aliasWord == 1);
            }

            edits.Add(aliasWord == 1 ? (sbyte)0 : (sbyte)-1);
        }

        foreach (var hit in hits)
        {
            exactSpans.Add((hit.Start, hit.End));
        }

        // Whether any character could disguise a window (most prompts have none, and then no window is looked at).
        var mayBeDisguised = MayBeDisguised(text);
        List<int>? marks = null;

        var bounded = _wordBounds && _nearWords is not null;
        for (var first = 0; first < words; first++)
        {
            var unknown = 0;
            var allCommon = true;
            var editSum = 0;
            var summed = first - 1;
            for (var count = 1; count <= _options.MaxFuzzyWindowWords && first + count <= words; count++)
            {
                var last = first + count - 1;
                unknown += edits[last] == 0 ? 0 : 1;
                allCommon &= common[last];
                var start = wordStarts[first];
                var end = wordStarts[last + 1];
                var length = end - start;

                // A window of ordinary words is not a misspelt name; in a multi-word window all but the edited
                // words must be words of some eligible alias (and longer windows from this word neither).
                if (length > _fuzzyMaxLength || (count > 1 && unknown > maxDistance))
                {
                    break;
                }

                if (length < _fuzzyMinLength || allCommon
                    || (skeleton.Flags[start] & Skeleton.WordStart) == 0 || (skeleton.Flags[end - 1] & Skeleton.BoundaryAfter) == 0)
                {
                    continue;
                }

                // ADR-048: when the words of a multi-word window match the words of the alias one by one (the premise
                // of the unknown-word rule above), the window is at least the sum of its words' least edits from any
                // pattern, and a pattern of its length allows two edits only when it is long enough for them. A
                // disguised window (leetspeak, other scripts' letters, invisible characters) may have its whitespace
                // anywhere in the name (as the exact path allows there): it is still probed one edit away whatever its
                // words, not two.
                var oneEdit = false;
                if (count > 1 && bounded)
                {
                    // The words' bounds, summed once per window start as the window grows.
                    for (; summed < last; summed++)
                    {
                        var w = summed + 1;
                        if (edits[w] == -1)
                        {
                            edits[w] = Memoized(memo, wordHashes[w], WordMemo.NearOne, scratch, _nearWords!, prefix, power, wordStarts[w], wordStarts[w + 1] - wordStarts[w], 1) ? (sbyte)1 : (sbyte)-2;
                        }

                        editSum += Math.Abs(edits[w]);
                    }

                    var budget = maxDistance >= 2 && length + 2 >= _distance2MinLength ? 2 : Math.Min(1, maxDistance);
                    if (editSum <= budget && editSum >= 2)
                    {
                        // Within budget only if a word that is "two or more" edits away is not three or more.
                        editSum += SettleTwoOrMore(scratch, edits, wordStarts, first, last, prefix, power, memo, wordHashes);
                    }

                    if (editSum > budget)
                    {
                        if (!mayBeDisguised)
                        {
                            // A longer window from this word has these words too, and no budget above two.
                            if (editSum > 2)
                            {
                                break;
                            }

                            continue;
                        }

                        marks ??= FindDisguiseMarks(text, scratch.DisguiseMarks);
                        if (!AnyWithin(marks, skeleton.Starts[start], skeleton.Ends[end - 1]))
                        {
                            continue;
                        }

                        oneEdit = true;
                    }
                }

                if (exactSpans.Count > 0 && exactSpans.Contains((start, end - 1)))
                {
                    continue;
                }

                var window = skeleton.Span[start..end];
                var parts = 1;
                for (var k = start + 1; k < end; k++)
                {
                    parts += (skeleton.Flags[k] & Skeleton.GapBefore) != 0 ? 1 : 0;
                }

                var twoEdits = !oneEdit && maxDistance >= 2 && window.Length >= _distance2MinLength && window.Length - 2 <= _distance2MaxLength;
                // The window is the word: its hash is the word's (twoEdits follows from its length alone).
                if (count == 1 && parts == 1 && bounded && _onePartKeys is { } onePart
                    && !Memoized(memo, wordHashes[first], WordMemo.OnePart, scratch, onePart, prefix, power, start, window.Length, twoEdits ? 2 : 1))
                {
                    continue;
                }

                // ADR-053: a window that gave no match before gives none now. Its hits follow from its symbols (the hash,
                // which covers the length), its parts, whether it is probed one edit away only, and the catalog.
                var windowMemo = _windowMemo;
                var noHitAnswer = oneEdit ? WordMemo.WindowNoHitOneEdit : WordMemo.WindowNoHit;
                var windowKey = windowMemo is null ? 0 : SkeletonHash.OfRange(prefix, power, start, window.Length) ^ ((ulong)parts * 0x9E3779B97F4A7C15);
                if (windowMemo is not null && windowMemo.Get(windowKey, noHitAnswer) == 1)
                {
                    continue;
                }

                var hitsBefore = hits.Count;
                candidates.Clear();
                // The window and its one-symbol deletions, and its two-symbol deletions where a match two edits away may
                // need them: those (length L - 2) are needed only for a match in which both edits take a symbol out of the
                // window (two substitutions, an insertion and a substitution...): every edit takes at most one symbol out of
                // each side, so a match within one edit is met by the one-symbol deletions, and the pattern then has L - 2,
                // L - 1 or L symbols (0, 1 or 2 of its own deleted) and is long enough for two edits. Other windows would
                // probe only fingerprints that can verify to nothing. All their filter lines are asked for, then probed.
                var keys = scratch.Variants(prefix, power, start, window.Length, twoDeletions: !oneEdit && _pieces is null && twoEdits);
                foreach (var key in keys)
                {
                    fuzzy.Prefetch(SkeletonHash.Fingerprint(key));
                }

                foreach (var key in keys)
                {
                    Probe(fuzzy, key, candidates);
                }

                if (!oneEdit && _pieces is not null)
                {
                    // ADR-033: candidates two edits away from a pattern's pieces found exactly in the window.
                    if (window.Length + 2 >= _distance2MinLength && window.Length - 2 <= _distance2MaxLength)
                    {
                        ProbePieces(_pieces, prefix, power, start, window.Length, candidates);
                    }
                }

                // One bit-parallel table per window serves all its candidates (ADR-040); the same distances.
                var bitParallel = candidates.Items.Count > 0 && window.Length <= OsaWindow.MaxLength;
                if (bitParallel)
                {
                    scratch.Osa.Set(window);
                }

                foreach (var pattern in candidates.Items)
                {
                    var symbols = Pattern(pattern);
                    var allowed = oneEdit ? Math.Min(1, AllowedDistance(symbols.Length)) : AllowedDistance(symbols.Length);
                    var distance = bitParallel ? scratch.Osa.Bounded(symbols, allowed) : OsaDistance.Bounded(window, symbols, allowed);
                    if (distance == 0 || distance > allowed)
                    {
                        continue;
                    }

                    for (var i = _patternAliasStart[pattern]; i < _patternAliasStart[pattern + 1]; i++)
                    {
                        var alias = _patternAliases[i];
                        if (_aliasRole[alias] == RoleName && _aliasAmbiguity[alias] is not (Ambiguity.Word or Ambiguity.Namesake) && _aliasParts[alias] == parts)
                        {
                            hits.Add(new Hit(alias, start, end - 1, distance, IsFuzzy: true));
                        }
                    }
                }

                windowMemo?.Set(windowKey, noHitAnswer, hits.Count == hitsBefore);
            }
        }
    }

    /// <summary>
    /// Whether the <paramref name="length"/> symbols of the skeleton at <paramref name="start"/>, or they without any
    /// <paramref name="deletions"/> (1 or 2) of their symbols, may be among <paramref name="keys"/> (skeleton hashes, from
    /// the prefix hashes). With the alias words and their deletions as keys: false means the word is more than
    /// <paramref name="deletions"/> edits from every alias word, since every edit leaves a pair one deletion apart on
    /// each side (ADR-048). With the fuzzy index's keys: false means the window's probes would find nothing. A filter's
    /// false positive only answers true.
    /// </summary>
    private static bool VariantsMayMeet(Scratch scratch, FingerprintFilter keys, ReadOnlySpan<ulong> prefix, ReadOnlySpan<ulong> power, int start, int length, int deletions)
    {
        var variants = scratch.Variants(prefix, power, start, length, twoDeletions: deletions >= 2);
        foreach (var variant in variants)
        {
            keys.PrefetchHash(variant);
        }

        foreach (var variant in variants)
        {
            if (keys.MayContainHash(variant))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><see cref="VariantsMayMeet"/> for a whole prompt word, answered from <paramref name="memo"/> when this word
    /// was asked before (the answer depends only on its symbols, keyed by its hash <paramref name="word"/>).</summary>
    private static bool Memoized(WordMemo? memo, ulong word, int answer, Scratch scratch, FingerprintFilter keys, ReadOnlySpan<ulong> prefix, ReadOnlySpan<ulong> power, int start, int length, int deletions)
    {
        var known = memo?.Get(word, answer) ?? -1;
        if (known >= 0)
        {
            return known == 1;
        }

        var meets = VariantsMayMeet(scratch, keys, prefix, power, start, length, deletions);
        memo?.Set(word, answer, meets);
        return meets;
    }

    /// <summary>The longest prompt word whose "two or more" is settled to 2 or 3; a longer one stays 2, so the filter of
    /// alias words' two-symbol deletions holds only alias words of up to this many symbols plus two (ADR-048).</summary>
    private const int MaxSettledWordLength = 12;

    /// <summary>
    /// Settles every word of the window whose bound is still "two or more" (-2) to 2, or to 3 when no deletion of up to two
    /// of its symbols is an alias word's deletion of up to two (two edits leave such a pair, as one leaves a pair of one);
    /// returns what that adds to the window's sum. Asked only when the sum is within budget counting such a word as 2,
    /// so at most one of them stands in the window.
    /// </summary>
    private int SettleTwoOrMore(Scratch scratch, List<sbyte> edits, List<int> wordStarts, int first, int last, ReadOnlySpan<ulong> prefix, ReadOnlySpan<ulong> power, WordMemo? memo, List<ulong> wordHashes)
    {
        var added = 0;
        for (var w = first; w <= last; w++)
        {
            if (edits[w] == -2)
            {
                var length = wordStarts[w + 1] - wordStarts[w];
                edits[w] = length > MaxSettledWordLength || Memoized(memo, wordHashes[w], WordMemo.NearTwo, scratch, _nearWords2!, prefix, power, wordStarts[w], length, 2) ? (sbyte)2 : (sbyte)3;
                added += edits[w] - 2;
            }
        }

        return added;
    }

    /// <summary>Fills <paramref name="marks"/> with the offsets of the characters that make a span
    /// <see cref="IsDisguisedOrInvisible"/>, found with a vectorised search for anything but plain ASCII.</summary>
    private static List<int> FindDisguiseMarks(string text, List<int> marks)
    {
        marks.Clear();
        var i = 0;
        while (i < text.Length)
        {
            var next = text.AsSpan(i).IndexOfAnyExcept(PlainAscii);
            if (next < 0)
            {
                break;
            }

            i += next;
            if (text[i] < 0x80 || IsDisguisedOrInvisible(text, i, i + 1))
            {
                marks.Add(i);
            }

            i++;
        }

        return marks;
    }

    /// <summary>Whether an offset in the sorted <paramref name="marks"/> lies in [<paramref name="start"/>, <paramref name="end"/>).</summary>
    private static bool AnyWithin(List<int> marks, int start, int end)
    {
        var at = marks.BinarySearch(start);
        at = at >= 0 ? at : ~at;
        return at < marks.Count && marks[at] < end;
    }

    /// <summary>The ASCII characters that never disguise a span: all but digits and <c>@ $ ! | +</c>.</summary>
    private static readonly System.Buffers.SearchValues<char> PlainAscii = System.Buffers.SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x80).Select(c => (char)c).Where(c => !"0123456789@$!|+".Contains(c, StringComparison.Ordinal))));

    /// <summary>False when no span of <paramref name="text"/> is <see cref="IsDisguisedOrInvisible"/>: it is plain ASCII,
    /// with no digit or leetspeak symbol.</summary>
    private static bool MayBeDisguised(string text) => text.AsSpan().ContainsAnyExcept(PlainAscii);

    /// <summary>A disguised span (<see cref="IsDisguised"/>) or one holding an invisible character (a zero-width space or joiner).</summary>
    private static bool IsDisguisedOrInvisible(string text, int start, int end)
    {
        if (IsDisguised(text, start, end))
        {
            return true;
        }

        for (var i = start; i < end; i++)
        {
            if (char.GetUnicodeCategory(text[i]) == UnicodeCategory.Format)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Pieces a long pattern is cut into for the two-edit index (ADR-040).</summary>
    internal const int Pieces = 4;

    /// <summary>Piece <paramref name="piece"/> of a pattern of <paramref name="patternLength"/> symbols: its offset and length.</summary>
    /// <remarks>
    /// Four pieces, one symbol apart, cover the pattern but for the three symbols between them: lengths ⌊(P − 3) / 4⌋,
    /// the first (P − 3) mod 4 of them one longer; piece 0 starts the pattern and piece 3 ends it. The symbol between
    /// two pieces is what makes one edit unable to touch two pieces (a transposition takes two adjacent symbols).
    /// </remarks>
    internal static (int Start, int Length) PieceOf(int patternLength, int piece)
    {
        var total = Math.Max(0, patternLength - (Pieces - 1));
        var start = 0;
        for (var i = 0; i < piece; i++)
        {
            start += (total / Pieces) + (i < total % Pieces ? 1 : 0) + 1;
        }

        return (start, (total / Pieces) + (piece < total % Pieces ? 1 : 0));
    }

    /// <summary>The shifts (δᵢ, δⱼ) at which two undamaged pieces i &lt; j of a pattern of P symbols can stand in a window of
    /// P + d symbols two edits away: with a = δᵢ (edits before piece i), b = δⱼ − δᵢ (between them) and c = d − δⱼ (after
    /// piece j), |a| + |b| + |c| ≤ 2 (see <see cref="ProbePieces"/>).</summary>
    private static readonly (int First, int Second)[][] PairShifts = [.. Enumerable.Range(-2, 5).Select(d =>
        (from a in Enumerable.Range(-2, 5)
         from b in Enumerable.Range(-2, 5)
         let c = d - a - b
         where Math.Abs(a) + Math.Abs(b) + Math.Abs(c) <= 2
         select (a, a + b)).ToArray())];

    /// <summary>
    /// Candidates within two edits of the window [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>)
    /// of the skeleton (ADR-040).
    /// </summary>
    /// <remarks>
    /// Lemma: cut a pattern of P symbols into four pieces, one symbol between neighbours
    /// (<see cref="PieceOf"/>). If the OSA distance of a window of L symbols to the pattern is at most 2, then two pieces
    /// i &lt; j occur verbatim in the window at their offsets in the pattern plus δᵢ and δⱼ, where
    /// |δᵢ| + |δⱼ − δᵢ| + |L − P − δⱼ| ≤ 2.
    /// Proof: an alignment of cost ≤ 2 has at most two operations, each a substitution or deletion of one pattern symbol,
    /// an insertion at one place between pattern symbols (or at an end), or a transposition of two adjacent pattern
    /// symbols, none touching a symbol another touches. Call a piece damaged when an operation touches one of its
    /// symbols or inserts strictly inside it; as neighbouring pieces are one symbol apart, one operation damages at most
    /// one piece, so at least two of the four, i &lt; j, are intact. Every operation then lies wholly before piece i,
    /// between i and j, or after j. An intact piece's symbols are matched in order with nothing inserted among them, so
    /// it stands contiguous in the window, moved by the insertions minus the deletions before it (substitutions and
    /// transpositions move nothing): δᵢ is that count before i, δⱼ − δᵢ between i and j, and L − P − δⱼ after j, and
    /// the three absolute values sum to at most the number of operations, 2. ∎
    /// The index holds each such pattern under the six keys (piece i's symbols, piece j's symbols, P, i, j); the window
    /// probes, for every P in [L − 2, L + 2] that a two-edit pattern has, every pair at every admissible (δᵢ, δⱼ). A key
    /// is two pieces, so a word many names share ("Captain …") no longer selects those names by itself. A candidate
    /// still has to verify, with the same bounded OSA distance and alias rules as every other fuzzy candidate.
    /// </remarks>
    private void ProbePieces(FingerprintTable pieces, ReadOnlySpan<ulong> prefix, ReadOnlySpan<ulong> power, int start, int length, CandidateSet candidates)
    {
        var fromLength = Math.Max(_distance2MinLength, length - 2);
        var toLength = Math.Min(_distance2MaxLength, length + 2);
        for (var patternLength = fromLength; patternLength <= toLength; patternLength++)
        {
            var shifts = PairShifts[length - patternLength + 2];
            for (var first = 0; first < Pieces - 1; first++)
            {
                var (offset1, length1) = PieceOf(patternLength, first);
                for (var second = first + 1; second < Pieces; second++)
                {
                    var (offset2, length2) = PieceOf(patternLength, second);
                    foreach (var (shift1, shift2) in shifts)
                    {
                        var at1 = offset1 + shift1;
                        var at2 = offset2 + shift2;
                        if (at1 < 0 || at2 + length2 > length || at1 + length1 > at2)
                        {
                            continue;
                        }

                        var raw = (SkeletonHash.RawOf(prefix, power, start + at1, length1) * power[length2]) + SkeletonHash.RawOf(prefix, power, start + at2, length2);
                        Probe(pieces, SkeletonHash.PieceKey(raw, length1 + length2, patternLength, PairCode(first, second)), candidates);
                    }
                }
            }
        }
    }

    /// <summary>One number per pair of pieces, part of the key.</summary>
    private static int PairCode(int first, int second) => (first * Pieces) + second;

    private static void Probe(FingerprintTable fuzzy, ulong hash, CandidateSet candidates)
    {
        var fingerprint = SkeletonHash.Fingerprint(hash);
        if (!fuzzy.MayContain(fingerprint))
        {
            return;
        }

        foreach (var entry in fuzzy.Bucket(fingerprint))
        {
            if ((uint)(entry >> 32) == fingerprint)
            {
                candidates.Add((int)(uint)entry);
            }
        }
    }

    /// <summary>A window's candidate patterns in the order first found, each once; a set, not a scan of the list, tells
    /// whether one was found before, as a key many names share can bring thousands (ADR-040).</summary>
    private sealed class CandidateSet
    {
        private readonly HashSet<int> _seen = [];

        public List<int> Items { get; } = new(64);

        public void Add(int pattern)
        {
            if (_seen.Add(pattern))
            {
                Items.Add(pattern);
            }
        }

        public void Clear()
        {
            _seen.Clear();
            Items.Clear();
        }
    }

    /// <summary>Names longer than this (in symbols) are matched exactly only; it also bounds the fuzzy scratch space.</summary>
    private const int MaxFuzzySkeletonLength = 64;

    private int AllowedDistance(int patternLength) =>
        patternLength > MaxFuzzySkeletonLength ? 0
        : patternLength >= _options.MinFuzzyLengthForDistance2 ? Math.Min(2, _options.MaxFuzzyDistance)
        : patternLength >= Math.Min(_options.MinFuzzyLength, _options.MinContextFuzzyLength) ? Math.Min(1, _options.MaxFuzzyDistance)
        : 0;

    /// <summary>A name shorter than <see cref="NameMatcherOptions.MinFuzzyLength"/> matched fuzzily only with context.</summary>
    private bool IsShortFuzzy(Hit hit) => hit.IsFuzzy && Pattern(PatternOf(hit.Alias)).Length < _options.MinFuzzyLength;

    private int PatternOf(int alias) => _aliasPattern[alias];

    private List<NameMatch> Resolve(string text, Skeleton skeleton, List<Hit> hits, bool reportUncorroborated)
    {
        var candidates = new List<(int Entity, NameMatch Match)>();
        foreach (var hit in hits)
        {
            var alias = hit.Alias;
            if (_aliasRole[alias] != RoleName)
            {
                continue;
            }

            var entity = _aliasEntity[alias];
            var start = skeleton.Starts[hit.Start];
            var length = skeleton.Ends[hit.End] - start;
            var matched = text.Substring(start, length);
            var shortFuzzy = IsShortFuzzy(hit);
            var ambiguous = shortFuzzy || _aliasAmbiguity[alias] switch
            {
                Ambiguity.Word or Ambiguity.Namesake => true,
                Ambiguity.Phrase => hit.IsFuzzy ? !IsTitleCased(matched) : !IsCapitalisedAsAlias(text, skeleton, hit.Start, _aliasCapitals[alias]),
                _ => false,
            };
            var corroborated = ambiguous && (!hit.IsFuzzy || shortFuzzy) && IsCorroborated(entity, hit, hits);
            (NameMatchKind Kind, double Confidence) found;
            if (ambiguous && !corroborated)
            {
                // A place's or person's name alone is a possible namesake: reported, but in the review band.
                if (_aliasAmbiguity[alias] == Ambiguity.Namesake && !hit.IsFuzzy)
                {
                    found = (NameMatchKind.Namesake, NamesakeConfidence);
                }
                else if (reportUncorroborated)
                {
                    found = (NameMatchKind.Uncorroborated, UncorroboratedConfidence);
                }
                else
                {
                    continue;
                }
            }
            else
            {
                found = shortFuzzy ? (NameMatchKind.Fuzzy, ShortFuzzyConfidence)
                    : hit.IsFuzzy ? (NameMatchKind.Fuzzy, FuzzyConfidence(hit.Distance, hit.End - hit.Start + 1))
                    : ambiguous ? (NameMatchKind.Corroborated, CorroboratedConfidence)
                    : SpelledAsAlias(matched, _aliasText[alias], skeleton, hit, _aliasGaps[alias]) ? (NameMatchKind.Exact, 1.0)
                    : (NameMatchKind.Obfuscated, ObfuscatedConfidence);
            }

            var (kind, confidence) = found;
            candidates.Add((entity, new NameMatch(_entities[entity], _aliasText[alias], start, length, matched, kind, hit.Distance, confidence)));
        }

        // Overlapping matches of one entity collapse to the best; different entities keep theirs.
        candidates.Sort((x, y) =>
        {
            var c = x.Entity.CompareTo(y.Entity);
            if (c == 0)
            {
                c = y.Match.Confidence.CompareTo(x.Match.Confidence);
            }

            if (c == 0)
            {
                c = y.Match.Length.CompareTo(x.Match.Length);
            }

            return c != 0 ? c : x.Match.Start.CompareTo(y.Match.Start);
        });
        var kept = new List<NameMatch>();
        var entityFirst = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (i > 0 && candidates[i].Entity != candidates[i - 1].Entity)
            {
                entityFirst = kept.Count;
            }

            var match = candidates[i].Match;
            var overlaps = false;
            for (var k = entityFirst; k < kept.Count && !overlaps; k++)
            {
                overlaps = match.Start < kept[k].Start + kept[k].Length && kept[k].Start < match.Start + match.Length;
            }

            if (!overlaps)
            {
                kept.Add(match);
            }
        }

        kept.Sort((x, y) =>
        {
            var c = x.Start.CompareTo(y.Start);
            if (c == 0)
            {
                c = y.Length.CompareTo(x.Length);
            }

            return c != 0 ? c : x.Entity.Id.CompareTo(y.Entity.Id);
        });
        return kept;
    }

    /// <summary>An ambiguous alias counts only beside another name or a context term of the same entity.</summary>
    private bool IsCorroborated(int entity, Hit hit, List<Hit> hits)
    {
        foreach (var other in hits)
        {
            var alias = other.Alias;
            if (_aliasEntity[alias] == entity && (_aliasRole[alias] == RoleContext || _aliasAmbiguity[alias] == Ambiguity.None)
                && (other.End < hit.Start || other.Start > hit.End))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the text spells the alias plainly: the same letters and digits ignoring case, with no more separators
    /// than the alias has and no invisible characters ("Spider Man", "spiderman" for "Spider-Man"; not
    /// "S.p.i.d.e.r-M.a.n", "Sp1derman", "spider\u200Bman").
    /// </summary>
    private static bool SpelledAsAlias(string matched, string alias, Skeleton skeleton, Hit hit, ulong aliasGaps)
    {
        var gaps = 0;
        for (var k = hit.Start + 1; k <= hit.End; k++)
        {
            gaps += (skeleton.Flags[k] & Skeleton.GapBefore) != 0 ? 1 : 0;
        }

        if (gaps > BitOperations.PopCount(aliasGaps) || matched.Any(c => char.GetUnicodeCategory(c) == UnicodeCategory.Format))
        {
            return false;
        }

        int i = 0, j = 0;
        while (true)
        {
            while (i < matched.Length && !char.IsLetterOrDigit(matched[i]))
            {
                i++;
            }

            while (j < alias.Length && !char.IsLetterOrDigit(alias[j]))
            {
                j++;
            }

            if (i == matched.Length || j == alias.Length)
            {
                return i == matched.Length && j == alias.Length;
            }

            if (char.ToLowerInvariant(matched[i++]) != char.ToLowerInvariant(alias[j++]))
            {
                return false;
            }
        }
    }

    /// <summary>Each word of the alias (3+ letters, not an article) starts with a capital in the text, as names are written.</summary>
    private static bool IsCapitalisedAsAlias(string text, Skeleton skeleton, int start, ulong capitals)
    {
        for (var bits = capitals; bits != 0; bits &= bits - 1)
        {
            var position = start + BitOperations.TrailingZeroCount(bits);
            if (position >= skeleton.Length || char.IsLower(text[skeleton.Starts[position]]))
            {
                return false;
            }
        }

        return capitals != 0;
    }

    /// <summary>Every word of three or more letters except "the" and "and" starts with a capital.</summary>
    private static bool IsTitleCased(string matched)
    {
        var any = false;
        var i = 0;
        while (i < matched.Length)
        {
            while (i < matched.Length && !char.IsLetterOrDigit(matched[i]))
            {
                i++;
            }

            var start = i;
            while (i < matched.Length && char.IsLetterOrDigit(matched[i]))
            {
                i++;
            }

            var word = matched.AsSpan(start, i - start);
            if (word.Length >= 3 && !word.Equals("the", StringComparison.OrdinalIgnoreCase) && !word.Equals("and", StringComparison.OrdinalIgnoreCase))
            {
                if (!char.IsUpper(matched[start]))
                {
                    return false;
                }

                any = true;
            }
        }

        return any;
    }

    /// <summary>
    /// 0.85 for one edit in a name of 9+ symbols, 0.05 less for a shorter name and for each further edit. Computed in
    /// whole basis points so that 0.85 − 0.05 is exactly 0.8 (in doubles it is 0.7999…, which a rule "below 0.8" took
    /// for a lower band).
    /// </summary>
    internal static double FuzzyConfidence(int distance, int length) =>
        (8500 - (500 * (distance - 1)) - (length < 9 ? 500 : 0)) / 10_000.0;

    private (FingerprintTable? Index, FingerprintTable? Pieces, FingerprintTable? Words, FingerprintFilter? NearWords, FingerprintFilter? NearWords2, FingerprintFilter? OnePartKeys, int MinLength, int MaxLength, int Distance2MinLength, int Distance2MaxLength) BuildFuzzyIndex(
        List<ushort[]> patterns)
    {
        if (_options.MaxFuzzyDistance == 0)
        {
            return (null, null, null, null, null, null, 0, 0, int.MaxValue, 0);
        }

        var distance2Min = int.MaxValue;
        var distance2Max = 0;
        var entries = new List<ulong>();
        var pieces = new List<ulong>();
        var words = new List<ulong>();
        var nearWords = new List<ulong>();
        var nearWords2 = new List<ulong>();
        var onePartKeys = new List<ulong>();
        var maxLength = 0;
        var hashes = new ulong[patterns.Count == 0 ? 1 : patterns.Max(p => p.Length) + 1];
        for (var p = 0; p < patterns.Count; p++)
        {
            var symbols = patterns[p];
            var allowed = AllowedDistance(symbols.Length);
            var eligible = false;
            var onePart = false;
            for (var i = _patternAliasStart[p]; i < _patternAliasStart[p + 1]; i++)
            {
                var alias = _patternAliases[i];
                if (allowed == 0 || _aliasRole[alias] != RoleName || _aliasAmbiguity[alias] is Ambiguity.Word or Ambiguity.Namesake)
                {
                    continue;
                }

                eligible = true;
                onePart |= _aliasParts[alias] == 1;
                AddAliasWords(symbols, _aliasGaps[alias], words, nearWords, nearWords2);
            }

            // Where this pattern's keys go: the index, and the one-part filter when a one-part alias has it.
            void Key(ulong hash)
            {
                entries.Add(FingerprintTable.Pack(SkeletonHash.Fingerprint(hash), p));
                if (onePart)
                {
                    onePartKeys.Add(hash);
                }
            }

            if (!eligible)
            {
                continue;
            }

            maxLength = Math.Max(maxLength, symbols.Length);
            Key(SkeletonHash.Of(symbols));
            SkeletonHash.OfDeletions(symbols, hashes);
            for (var k = 0; k < symbols.Length; k++)
            {
                Key(hashes[k]);
            }

            if (allowed >= 2)
            {
                distance2Min = Math.Min(distance2Min, symbols.Length);
                distance2Max = Math.Max(distance2Max, symbols.Length);
            }

            if (allowed >= 2 && _pieceIndex)
            {
                for (var first = 0; first < Pieces - 1; first++)
                {
                    var (offset1, length1) = PieceOf(symbols.Length, first);
                    for (var second = first + 1; second < Pieces; second++)
                    {
                        var (offset2, length2) = PieceOf(symbols.Length, second);
                        // The raw polynomial of the two pieces end to end, as the query forms it from prefix hashes.
                        var raw = SkeletonHash.RawOf([.. symbols.AsSpan(offset1, length1), .. symbols.AsSpan(offset2, length2)]);
                        pieces.Add(FingerprintTable.Pack(SkeletonHash.Fingerprint(SkeletonHash.PieceKey(raw, length1 + length2, symbols.Length, PairCode(first, second))), p));
                    }
                }
            }
            else if (allowed >= 2)
            {
                var shorter = new ushort[symbols.Length - 1];
                for (var k = 0; k < symbols.Length; k++)
                {
                    symbols.AsSpan(0, k).CopyTo(shorter);
                    symbols.AsSpan(k + 1).CopyTo(shorter.AsSpan(k));
                    SkeletonHash.OfDeletions(shorter, hashes);
                    for (var m = 0; m < shorter.Length; m++)
                    {
                        Key(hashes[m]);
                    }
                }
            }
        }

        if (entries.Count == 0)
        {
            return (null, null, null, null, null, null, 0, 0, int.MaxValue, 0);
        }

        return (new FingerprintTable(entries, withFilter: true), pieces.Count == 0 ? null : new FingerprintTable(pieces, withFilter: true), new FingerprintTable(words, withFilter: true),
            Filter(nearWords), Filter(nearWords, nearWords2), _pieceIndex ? null : Filter(onePartKeys),
            Math.Min(_options.MinFuzzyLength, _options.MinContextFuzzyLength) - _options.MaxFuzzyDistance, maxLength + _options.MaxFuzzyDistance,
            distance2Min, distance2Max);
    }

    /// <summary>A filter of the fingerprints in <paramref name="lists"/> at twelve bits a key (under 1% of absent keys pass;
    /// a key added twice is counted twice).</summary>
    private static FingerprintFilter Filter(params List<ulong>[] lists)
    {
        var filter = new FingerprintFilter(lists.Sum(l => l.Count), 12);
        foreach (var hash in lists.SelectMany(l => l))
        {
            filter.AddHash(hash);
        }

        return filter;
    }

    /// <summary>Every part of a multi-part alias, and every run of adjacent parts, as a fingerprint; each of those with its
    /// one-symbol deletions into <paramref name="nearWords"/>, and its two-symbol deletions into <paramref name="nearWords2"/>.</summary>
    private static void AddAliasWords(ushort[] symbols, ulong gaps, List<ulong> words, List<ulong> nearWords, List<ulong> nearWords2)
    {
        if (gaps == 0)
        {
            return;
        }

        var bounds = new List<int> { 0 };
        for (var k = 1; k < Math.Min(symbols.Length, 64); k++)
        {
            if ((gaps & (1UL << k)) != 0)
            {
                bounds.Add(k);
            }
        }

        bounds.Add(symbols.Length);
        var prefix = new ulong[symbols.Length + 1];
        var power = new ulong[symbols.Length + 1];
        SkeletonHash.Prefixes(symbols, prefix, power);
        for (var a = 0; a < bounds.Count - 1; a++)
        {
            for (var b = a + 1; b < bounds.Count; b++)
            {
                var (start, length) = (bounds[a], bounds[b] - bounds[a]);
                var hash = SkeletonHash.OfRange(prefix, power, start, length);
                words.Add(FingerprintTable.Pack(SkeletonHash.Fingerprint(hash), 0));
                nearWords.Add(hash);
                // Two-symbol deletions only of the words a prompt word that is settled can be two edits from.
                var settled = length <= MaxSettledWordLength + 2;
                for (var k = 0; k < length; k++)
                {
                    nearWords.Add(SkeletonHash.OfDeletion(prefix, power, start, length, k));
                    for (var j = k + 1; settled && j < length; j++)
                    {
                        nearWords2.Add(SkeletonHash.OfTwoDeletions(prefix, power, start, length, k, j));
                    }
                }
            }
        }
    }

    private static string ComputeVersion(NameMatcherOptions options, NamedEntity[] entities)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string? value)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(value ?? "\u0000"));
            hash.AppendData("\u001F"u8);
        }

        Add(AlgorithmVersion);
        Add(string.Create(CultureInfo.InvariantCulture,
            $"{options.MaxFuzzyDistance},{options.MinFuzzyLength},{options.MinFuzzyLengthForDistance2},{options.MaxFuzzyWindowWords},{options.MinUnambiguousLength},{options.CommonWordsAreAmbiguous},{options.MinContextFuzzyLength},{options.ProperNounsAreNamesakes}"));
        foreach (var entity in entities.OrderBy(e => e.Id).ThenBy(e => e.CanonicalName, StringComparer.Ordinal).ThenBy(e => e.Type, StringComparer.Ordinal))
        {
            Add(entity.Type);
            Add(entity.Id.ToString("N"));
            Add(entity.OwnerId?.ToString("N"));
            Add(entity.CanonicalName);
            if (!entity.MatchCanonicalName)
            {
                Add("label only");
            }

            Add("aliases");
            foreach (var alias in entity.Aliases ?? [])
            {
                Add(alias);
            }

            Add("context");
            foreach (var term in entity.ContextTerms ?? [])
            {
                Add(term);
            }

            hash.AppendData("\u001E"u8);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 6));
    }

    private enum Ambiguity : byte
    {
        None,

        /// <summary>Short or a common word: fires only when corroborated.</summary>
        Word,

        /// <summary>Only common or short words: fires when title-cased or corroborated.</summary>
        Phrase,

        /// <summary>One word that is also a real place's or person's name ("Paris", "Jordan"): review band unless corroborated.</summary>
        Namesake,
    }

    /// <summary>A match of one alias over skeleton positions [Start, End] before corroboration and collapsing.</summary>
    private readonly record struct Hit(int Alias, int Start, int End, int Distance, bool IsFuzzy);

    /// <summary>Aliases as they are collected, before the pattern tables are laid out.</summary>
    private sealed class BuildState
    {
        internal List<int> AliasEntity { get; } = [];

        internal List<string> AliasText { get; } = [];

        internal List<byte> AliasRole { get; } = [];

        internal List<Ambiguity> AliasAmbiguity { get; } = [];

        internal List<ulong> AliasGaps { get; } = [];

        /// <summary>Skeleton positions that start a word of 3+ symbols other than an article: capitalised in a name.</summary>
        internal List<ulong> AliasCapitals { get; } = [];

        internal List<byte> AliasParts { get; } = [];

        internal List<ushort[]> AliasSkeletons { get; } = [];

        internal void AddAlias(int entity, string? text, byte role, HashSet<string> seen, NameMatcherOptions options)
        {
            if (string.IsNullOrWhiteSpace(text) || !seen.Add((role == RoleName ? "n:" : "c:") + text.Trim()))
            {
                return;
            }

            var skeleton = Skeleton.Create(text);
            try
            {
                if (skeleton.Length == 0)
                {
                    return;
                }

                ulong gaps = 0;
                var parts = 1;
                var firstPartEnd = skeleton.Length;
                for (var k = 1; k < skeleton.Length; k++)
                {
                    if ((skeleton.Flags[k] & Skeleton.GapBefore) != 0)
                    {
                        gaps |= k < 64 ? 1UL << k : 0;
                        parts++;
                        firstPartEnd = Math.Min(firstPartEnd, k);
                    }
                }

                var symbols = skeleton.Span.ToArray();
                AliasEntity.Add(entity);
                AliasText.Add(text.Trim());
                AliasRole.Add(role);
                AliasAmbiguity.Add(AmbiguityOf(symbols, gaps, options));
                AliasGaps.Add(gaps);
                AliasCapitals.Add(CapitalPositions(symbols, gaps));
                AliasParts.Add((byte)Math.Min(parts, byte.MaxValue));
                AliasSkeletons.Add(symbols);
            }
            finally
            {
                skeleton.Return();
            }
        }

        /// <summary>
        /// Short aliases and common words ("Storm", "Flash") fire only when corroborated; so do phrases made only of
        /// common or short words ("The Flash", "Dark Knight") unless the text writes them title-cased.
        /// </summary>
        private static Ambiguity AmbiguityOf(ushort[] symbols, ulong gaps, NameMatcherOptions options)
        {
            bool Weak(ReadOnlySpan<ushort> s) =>
                s.Length < options.MinUnambiguousLength || (options.CommonWordsAreAmbiguous && CommonWords.Contains(s));

            if (Weak(symbols))
            {
                return Ambiguity.Word;
            }

            if (gaps == 0)
            {
                return options.ProperNounsAreNamesakes && ProperNouns.Contains(symbols) ? Ambiguity.Namesake : Ambiguity.None;
            }

            var partStart = 0;
            for (var k = 1; k <= symbols.Length; k++)
            {
                if (k == symbols.Length || (k < 64 && (gaps & (1UL << k)) != 0))
                {
                    var part = symbols.AsSpan(partStart, k - partStart);
                    if (!Weak(part) && !IsArticle(part))
                    {
                        return Ambiguity.None;
                    }

                    partStart = k;
                }
            }

            return Ambiguity.Phrase;
        }

        private static ulong CapitalPositions(ushort[] symbols, ulong gaps)
        {
            ulong capitals = 0;
            var partStart = 0;
            for (var k = 1; k <= symbols.Length; k++)
            {
                if (k == symbols.Length || (k < 64 && (gaps & (1UL << k)) != 0))
                {
                    var part = symbols.AsSpan(partStart, k - partStart);
                    if (part.Length >= 3 && !IsArticle(part) && partStart < 64)
                    {
                        capitals |= 1UL << partStart;
                    }

                    partStart = k;
                }
            }

            return capitals;
        }

        private static bool IsArticle(ReadOnlySpan<ushort> part) =>
            part.SequenceEqual(Articles.The) || part.SequenceEqual(Articles.A) || part.SequenceEqual(Articles.An);
    }

    private static class Articles
    {
        internal static readonly ushort[] The = Symbols("the");
        internal static readonly ushort[] A = Symbols("a");
        internal static readonly ushort[] An = Symbols("an");

        private static ushort[] Symbols(string word)
        {
            var skeleton = Skeleton.Create(word);
            var symbols = skeleton.Span.ToArray();
            skeleton.Return();
            return symbols;
        }
    }
}
