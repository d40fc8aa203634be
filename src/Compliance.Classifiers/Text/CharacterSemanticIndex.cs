using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;

namespace Compliance.Classifiers.Text;

/// <summary>A character and the sentence embeddings of its description and example prompts (unit length).</summary>
public sealed record CharacterVectors(NamedEntity Character, IReadOnlyList<float[]> Vectors)
{
    /// <summary>
    /// The static embedding of all its texts together (<see cref="SentenceEmbedder.EmbedStatic"/>), which ranks a long
    /// prompt's windows before the transformer runs (ADR-023); computed from the texts at load, never stored.
    /// </summary>
    public float[]? StaticVector { get; init; }

    /// <summary>
    /// The texts the vectors embed (description and example prompts): their distinctive words corroborate a description
    /// (<see cref="DescriptionTerms"/>, ADR-046); computed at load, never stored. Null: no corroboration for this character.
    /// </summary>
    public IReadOnlyList<string>? Texts { get; init; }
}

/// <summary>How close one character's description or example prompts came to one window of a prompt.</summary>
/// <param name="Character">The character.</param>
/// <param name="Similarity">Best cosine similarity over the character's vectors and the prompt's windows.</param>
/// <param name="Window">Index of the best window.</param>
/// <param name="Margin">Similarity minus the best similarity of any other character (how clearly this one stands out).</param>
public readonly record struct SemanticHit(NamedEntity Character, float Similarity, int Window, float Margin);

/// <summary>
/// Nearest-neighbour search over the characters' description and example-prompt embeddings. Rows are quantised to
/// int8 with one scale per row (384 bytes a row, a quarter of float32). Up to <see cref="DefaultExactUpToRows"/> rows
/// every row is scored; above that a first pass over each row's 384 signs (48 bytes, Hamming distance by popcount)
/// shortlists the closest rows and only their characters are scored, with the same int8 arithmetic, so every
/// similarity reported is the full scan's; what the shortlist can miss is a far character (ADR-028, bench/README.md).
/// No index to keep in step with the catalog. Immutable and thread-safe; the catalog builds a new one when
/// descriptions change.
/// </summary>
public sealed class CharacterSemanticIndex
{
    private const int Dim = SentenceEmbedder.Dimensions;

    private readonly NamedEntity[] _characters;
    private readonly sbyte[] _rows;
    private readonly float[] _scales;
    private readonly int[] _rowSums;
    private readonly int[] _firstRow;
    private readonly Dictionary<Guid, int> _characterOf;

    // The compact first stage (ADR-028): each int8 row's 384 signs as 6 ulongs (48 bytes, an eighth of the row), and
    // which character a row belongs to. Above ExactUpToRows a search ranks every row by Hamming distance to the query
    // windows' signs and scores only the closest ShortlistRows rows' characters exactly.
    private readonly ulong[] _signs;
    private readonly int[] _rowCharacter;
    private ulong[]? _staticSigns;

    /// <summary>Catalogs of up to this many rows (or static rows) are scanned exactly in full: the sign pass costs more
    /// than it saves there, and every result is then exactly the full scan's.</summary>
    internal const int DefaultExactUpToRows = 8_192;

    /// <summary>How many rows the sign pass keeps for exact scoring (the description scan, all windows together).</summary>
    internal const int DefaultShortlistRows = 4_096;

    /// <summary>How many static rows the sign pass keeps per span before the exact static scores pick the span's few.</summary>
    internal const int DefaultStaticShortlistRows = 256;

    private int _exactUpToRows = DefaultExactUpToRows;
    private int _shortlistRows = DefaultShortlistRows;
    private int _staticShortlistRows = DefaultStaticShortlistRows;

    // One static row per character (int8, as the rows), or null when any character came without one.
    private sbyte[]? _staticRows;
    private float[]? _staticScales;
    private int[]? _staticRowSums;

    private CharacterSemanticIndex(NamedEntity[] characters, sbyte[] rows, float[] scales, int[] rowSums, int[] firstRow, Dictionary<Guid, int> characterOf, string version)
    {
        _signs = SignsOf(rows, scales.Length);
        _rowCharacter = new int[scales.Length];
        for (var c = 0; c + 1 < firstRow.Length; c++)
        {
            _rowCharacter.AsSpan(firstRow[c], firstRow[c + 1] - firstRow[c]).Fill(c);
        }

        _characters = characters;
        _rows = rows;
        _scales = scales;
        _rowSums = rowSums;
        _firstRow = firstRow;
        _characterOf = characterOf;
        Version = version;
    }

    public static CharacterSemanticIndex Empty { get; } = Build([]);

    /// <summary>Short content hash of the vectors and their characters.</summary>
    public string Version { get; }

    /// <summary>The distinctive words of the characters' texts (ADR-046), of the same catalog version.</summary>
    public DescriptionTerms Terms { get; private set; } = DescriptionTerms.Empty;

    public int CharacterCount => _characters.Length;

    public int RowCount => _scales.Length;

    public static CharacterSemanticIndex Build(IEnumerable<CharacterVectors> characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        var list = characters.Where(c => c.Vectors.Count > 0).ToArray();
        var rowCount = list.Sum(c => c.Vectors.Count);
        var rows = new sbyte[rowCount * Dim];
        var scales = new float[rowCount];
        var rowSums = new int[rowCount];
        var firstRow = new int[list.Length + 1];
        var characterOf = new Dictionary<Guid, int>(list.Length);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var r = 0;
        for (var c = 0; c < list.Length; c++)
        {
            firstRow[c] = r;
            characterOf[list[c].Character.Id] = c;
            hash.AppendData(list[c].Character.Id.ToByteArray());
            foreach (var vector in list[c].Vectors)
            {
                if (vector.Length != Dim)
                {
                    throw new ArgumentException($"Vectors must have {Dim} dimensions; one of {list[c].Character.CanonicalName}'s has {vector.Length}.", nameof(characters));
                }

                var row = rows.AsSpan(r * Dim, Dim);
                scales[r] = Quantize(vector, row);
                foreach (var x in row)
                {
                    rowSums[r] += x;
                }

                hash.AppendData(MemoryMarshal.AsBytes(vector.AsSpan()));
                r++;
            }
        }

        firstRow[list.Length] = r;
        hash.AppendData(Encoding.UTF8.GetBytes("int8/" + Dim));
        var index = new CharacterSemanticIndex(list.Select(c => c.Character).ToArray(), rows, scales, rowSums, firstRow, characterOf,
            Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 6)));
        if (list.Length > 0 && list.All(c => c.StaticVector is { Length: Dim }))
        {
            index._staticRows = new sbyte[list.Length * Dim];
            index._staticScales = new float[list.Length];
            index._staticRowSums = new int[list.Length];
            for (var c = 0; c < list.Length; c++)
            {
                var row = index._staticRows.AsSpan(c * Dim, Dim);
                index._staticScales[c] = Quantize(list[c].StaticVector, row);
                foreach (var x in row)
                {
                    index._staticRowSums[c] += x;
                }
            }

            index._staticSigns = SignsOf(index._staticRows, list.Length);
        }

        index.Terms = DescriptionTerms.Build(list.Where(c => c.Texts is not null).Select(c => (c.Character.Id, c.Texts!.AsEnumerable())));
        return index;
    }

    /// <summary>
    /// The same index with other first-stage settings (the bench and the tests compare them with the full scan):
    /// <paramref name="exactUpToRows"/> 0 uses the sign pass at any size, <see cref="int.MaxValue"/> never.
    /// </summary>
    internal CharacterSemanticIndex WithFirstStage(int exactUpToRows, int shortlistRows = DefaultShortlistRows, int staticShortlistRows = DefaultStaticShortlistRows)
    {
        var copy = (CharacterSemanticIndex)MemberwiseClone();
        copy._exactUpToRows = exactUpToRows;
        copy._shortlistRows = Math.Max(1, shortlistRows);
        copy._staticShortlistRows = Math.Max(1, staticShortlistRows);
        return copy;
    }

    private const int SignWords = Dim / 64;

    /// <summary>One bit per dimension, set where the int8 value is positive.</summary>
    private static ulong[] SignsOf(sbyte[] rows, int count)
    {
        var signs = new ulong[count * SignWords];
        for (var r = 0; r < count; r++)
        {
            SignOf(rows.AsSpan(r * Dim, Dim), signs.AsSpan(r * SignWords, SignWords));
        }

        return signs;
    }

    private static void SignOf(ReadOnlySpan<sbyte> row, Span<ulong> into)
    {
        for (var w = 0; w < SignWords; w++)
        {
            // The sign bits of 64 bytes at once: a byte is positive when it is greater than zero.
            var low = Vector256.Create(row.Slice(w * 64, 32));
            var high = Vector256.Create(row.Slice((w * 64) + 32, 32));
            var lowBits = (ulong)Vector256.GreaterThan(low, Vector256<sbyte>.Zero).ExtractMostSignificantBits();
            var highBits = (ulong)Vector256.GreaterThan(high, Vector256<sbyte>.Zero).ExtractMostSignificantBits();
            into[w] = lowBits | (highBits << 32);
        }
    }

    /// <summary>
    /// The rows whose signs are closest (Hamming) to any of the queries', at most <paramref name="keep"/> of them, in row
    /// order, in a rented array of which the first <c>count</c> entries are the shortlist (give it back to
    /// <see cref="System.Buffers.ArrayPool{T}.Shared"/>); when <paramref name="query"/> is not negative, only that query
    /// counts.
    /// </summary>
    /// <remarks>
    /// ADR-041: the same rows as before, cheaper. One query (every prompt of up to 64 words) keeps its six sign words in
    /// registers; four histograms take turns, so rows at the same distance do not wait on each other's increment; and
    /// the pass that collects the shortlist skips 16 distances at a time where none is at or under the cut.
    /// </remarks>
    internal static int[] SignShortlist(ulong[] signs, int count, ulong[] querySigns, int queries, int keep, out int length, int query = -1)
    {
        const int Histograms = 4;
        var distances = System.Buffers.ArrayPool<ushort>.Shared.Rent(count);
        try
        {
            Span<int> histograms = stackalloc int[Histograms * (Dim + 1)];
            histograms.Clear();
            ref var s = ref MemoryMarshal.GetArrayDataReference(signs);
            ref var h = ref MemoryMarshal.GetReference(histograms);
            ref var d0 = ref MemoryMarshal.GetArrayDataReference(distances);
            var firstQuery = query < 0 ? 0 : query;
            var endQuery = query < 0 ? queries : query + 1;
            if (endQuery - firstQuery == 1)
            {
                var q = querySigns.AsSpan(firstQuery * SignWords, SignWords);
                ulong q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5];
                for (var r = 0; r < count; r++)
                {
                    ref var row = ref Unsafe.Add(ref s, r * SignWords);
                    var d = System.Numerics.BitOperations.PopCount(row ^ q0) + System.Numerics.BitOperations.PopCount(Unsafe.Add(ref row, 1) ^ q1)
                        + System.Numerics.BitOperations.PopCount(Unsafe.Add(ref row, 2) ^ q2) + System.Numerics.BitOperations.PopCount(Unsafe.Add(ref row, 3) ^ q3)
                        + System.Numerics.BitOperations.PopCount(Unsafe.Add(ref row, 4) ^ q4) + System.Numerics.BitOperations.PopCount(Unsafe.Add(ref row, 5) ^ q5);
                    Unsafe.Add(ref d0, r) = (ushort)d;
                    Unsafe.Add(ref h, ((r & (Histograms - 1)) * (Dim + 1)) + d)++;
                }
            }
            else
            {
                for (var r = 0; r < count; r++)
                {
                    ref var row = ref Unsafe.Add(ref s, r * SignWords);
                    var best = Dim;
                    for (var q = firstQuery; q < endQuery; q++)
                    {
                        var d = 0;
                        for (var w = 0; w < SignWords; w++)
                        {
                            d += System.Numerics.BitOperations.PopCount(Unsafe.Add(ref row, w) ^ querySigns[(q * SignWords) + w]);
                        }

                        best = Math.Min(best, d);
                    }

                    Unsafe.Add(ref d0, r) = (ushort)best;
                    Unsafe.Add(ref h, ((r & (Histograms - 1)) * (Dim + 1)) + best)++;
                }
            }

            var histogram = histograms[..(Dim + 1)];
            for (var k = 1; k < Histograms; k++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(histogram, histograms.Slice(k * (Dim + 1), Dim + 1), histogram);
            }

            // The cut: every row closer than `cut`, and rows at exactly `cut` in row order until `keep` are taken.
            var cut = 0;
            var below = 0;
            while (cut < Dim && below + histogram[cut] < keep)
            {
                below += histogram[cut++];
            }

            var atCut = Math.Min(histogram[cut], keep - below);
            length = below + atCut;
            var shortlist = System.Buffers.ArrayPool<int>.Shared.Rent(Math.Max(1, length));
            var n = 0;
            var r0 = 0;
            var cutVector = Vector256.Create((ushort)cut);
            for (; r0 <= count - Vector256<ushort>.Count && n < length; r0 += Vector256<ushort>.Count)
            {
                var mask = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref d0, (nuint)r0), cutVector).ExtractMostSignificantBits();
                while (mask != 0 && n < length)
                {
                    var r = r0 + System.Numerics.BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    var d = distances[r];
                    if (d < cut || atCut-- > 0)
                    {
                        shortlist[n++] = r;
                    }
                }
            }

            for (var r = r0; r < count && n < length; r++)
            {
                var d = distances[r];
                if (d < cut || (d == cut && atCut-- > 0))
                {
                    shortlist[n++] = r;
                }
            }

            return shortlist;
        }
        finally
        {
            System.Buffers.ArrayPool<ushort>.Shared.Return(distances);
        }
    }

    /// <summary>Whether every character has a static vector, so <see cref="RankWindows"/> can rank.</summary>
    public bool CanRankWindows => _staticRows is not null;

    /// <summary>
    /// The first stage for long prompts (ADR-023), in static embeddings only: the prompt's few long
    /// <paramref name="spans"/> are scanned against every character's static vector to shortlist the
    /// <paramref name="shortlistPerSpan"/> closest characters of each span; each of the many short
    /// <paramref name="windows"/> is then scored against that shortlist alone. Returns the indexes of the
    /// <paramref name="take"/> windows that come closest to a shortlisted character, best first; null when the index
    /// cannot rank (some character has no static vector): embed every window then. Above
    /// <see cref="DefaultExactUpToRows"/> characters a span is scored only against the static rows its signs shortlist
    /// (ADR-028).
    /// </summary>
    /// <remarks>
    /// The shortlist only chooses windows; which characters a chosen window matches is the exact scan's job over every
    /// character. So a window is still chosen when its character is crowded out of the shortlist by similar ones.
    /// </remarks>
    public int[]? RankWindows(IReadOnlyList<float[]> spans, IReadOnlyList<float[]> windows, int take, int shortlistPerSpan = 16)
    {
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(windows);
        if (_staticRows is null || _staticScales is null || _staticRowSums is null)
        {
            return null;
        }

        if (windows.Count <= take)
        {
            return [.. Enumerable.Range(0, windows.Count)];
        }

        // 1. The spans against every character: the best few per span, kept sorted as the scan goes.
        var spanQueries = Queries.Of(spans);
        var per = Math.Max(1, shortlistPerSpan);
        var topCharacter = new int[spanQueries.Count * per];
        var topSimilarity = new float[topCharacter.Length];
        Array.Fill(topCharacter, -1);
        Array.Fill(topSimilarity, float.NegativeInfinity);
        ref var rows = ref MemoryMarshal.GetArrayDataReference(_staticRows);
        var signed = _characters.Length > _exactUpToRows && _staticSigns is not null;
        for (var q = 0; q < spanQueries.Count; q++)
        {
            // Above the exact size, the span's closest static rows by sign (ADR-028) are scored exactly; below it, all.
            var length = 0;
            var candidates = signed ? SignShortlist(_staticSigns!, _characters.Length, spanQueries.Signs, spanQueries.Count, _staticShortlistRows, out length, q) : null;
            var count = candidates is null ? _characters.Length : length;
            var list = q * per;
            for (var i = 0; i < count; i++)
            {
                var c = candidates is null ? i : candidates[i];
                ref var row = ref Unsafe.Add(ref rows, c * Dim);
                var similarity = StaticDot(ref row, c, spanQueries, q) * _staticScales[c];
                if (similarity <= topSimilarity[list + per - 1])
                {
                    continue;
                }

                var at = per - 1;
                while (at > 0 && topSimilarity[list + at - 1] < similarity)
                {
                    topCharacter[list + at] = topCharacter[list + at - 1];
                    topSimilarity[list + at] = topSimilarity[list + at - 1];
                    at--;
                }

                topCharacter[list + at] = c;
                topSimilarity[list + at] = similarity;
            }

            if (candidates is not null)
            {
                System.Buffers.ArrayPool<int>.Shared.Return(candidates);
            }
        }

        // 2. Every window against the shortlist only.
        var shortlist = topCharacter.Where(c => c >= 0).Distinct().ToArray();
        var windowQueries = Queries.Of(windows);
        var best = new float[windowQueries.Count];
        Array.Fill(best, float.NegativeInfinity);
        foreach (var c in shortlist)
        {
            ref var row = ref Unsafe.Add(ref rows, c * Dim);
            for (var w = 0; w < windowQueries.Count; w++)
            {
                best[w] = MathF.Max(best[w], StaticDot(ref row, c, windowQueries, w) * _staticScales[c] * windowQueries.Scales[w]);
            }
        }

        return [.. Enumerable.Range(0, windowQueries.Count).OrderByDescending(w => best[w]).ThenBy(w => w).Take(take)];
    }

    private int StaticDot(ref sbyte row, int character, Queries queries, int q) => DotOf(ref row, _staticRowSums![character], queries, q);

    /// <summary>
    /// The characters whose best similarity to any of <paramref name="windows"/> reaches <paramref name="floor"/>,
    /// best first, at most <paramref name="top"/>.
    /// </summary>
    public IReadOnlyList<SemanticHit> Search(IReadOnlyList<float[]> windows, float floor, int top)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Count == 0 || _characters.Length == 0 || top <= 0)
        {
            return [];
        }

        var queries = Queries.Of(windows);
        // One pass over the characters keeps the best two overall (every hit's margin is over the strongest other
        // character) and the best `top` at or above the floor: nothing per character is allocated (100,000 floats
        // and ints a call were half a megabyte of large-object heap each). Above the exact size only the characters
        // of the rows closest by sign are scored (ADR-028), exactly as the full scan would score them, in character
        // order (so ties break the same way); the shortlist lives in a pooled array (ADR-041).
        int[]? candidates = null;
        var count = _characters.Length;
        if (RowCount > _exactUpToRows)
        {
            candidates = SignShortlist(_signs, RowCount, queries.Signs, queries.Count, _shortlistRows, out var rows);
            count = CharactersOf(candidates, rows);
        }

        try
        {
            return Scan(queries, candidates, count, floor, top);
        }
        finally
        {
            if (candidates is not null)
            {
                System.Buffers.ArrayPool<int>.Shared.Return(candidates);
            }
        }
    }

    /// <summary>
    /// Scores the characters (every one, or the first <paramref name="count"/> of <paramref name="candidates"/>) and
    /// keeps the best two overall and the best <paramref name="top"/> at or above the floor.
    /// </summary>
    private SemanticHit[] Scan(Queries queries, int[]? candidates, int count, float floor, int top)
    {
        Span<int> hitCharacter = stackalloc int[Math.Min(top, 64)];
        Span<float> hitSimilarity = stackalloc float[hitCharacter.Length];
        Span<int> hitWindow = stackalloc int[hitCharacter.Length];
        var hits = 0;
        float firstSimilarity = float.NegativeInfinity, secondSimilarity = float.NegativeInfinity;
        var first = -1;
        var ahead = candidates is null ? 0 : PrefetchAhead;
        for (var i = 0; i < count; i++)
        {
            var c = candidates is null ? i : candidates[i];
            if (i + ahead < count && ahead > 0)
            {
                PrefetchRows(candidates![i + ahead]);
            }

            var (similarity, window) = Best(_firstRow[c], _firstRow[c + 1], queries);
            if (similarity > firstSimilarity)
            {
                secondSimilarity = firstSimilarity;
                firstSimilarity = similarity;
                first = c;
            }
            else if (similarity > secondSimilarity)
            {
                secondSimilarity = similarity;
            }

            if (similarity < floor || (hits == hitCharacter.Length && similarity <= hitSimilarity[hits - 1]))
            {
                continue;
            }

            // Insertion into the short sorted list (best first); a tie keeps the earlier character first.
            var at = hits == hitCharacter.Length ? hits - 1 : hits++;
            while (at > 0 && hitSimilarity[at - 1] < similarity)
            {
                hitCharacter[at] = hitCharacter[at - 1];
                hitSimilarity[at] = hitSimilarity[at - 1];
                hitWindow[at] = hitWindow[at - 1];
                at--;
            }

            hitCharacter[at] = c;
            hitSimilarity[at] = similarity;
            hitWindow[at] = window;
        }

        var result = new SemanticHit[hits];
        for (var i = 0; i < hits; i++)
        {
            var c = hitCharacter[i];
            var other = c == first ? (count > 1 ? secondSimilarity : 0f) : firstSimilarity;
            result[i] = new SemanticHit(_characters[c], hitSimilarity[i], hitWindow[i], hitSimilarity[i] - other);
        }

        return result;
    }

    /// <summary>
    /// How many shortlisted characters ahead of the one being scored the scan asks the memory system for (ADR-051). The
    /// shortlist is a scattered few thousand of the catalog's rows (38 MB at 100,000 characters), so each one scored
    /// cold waits on memory; asking for the rows several characters ahead overlaps those waits. 0 turns it off (the
    /// bench's baseline). Scores do not change: only when the bytes arrive.
    /// </summary>
    internal static int PrefetchAhead { get; set; } = 8;

    /// <summary>At most this many of a character's rows are prefetched (the hardware's stream prefetcher follows the
    /// rest, which are contiguous).</summary>
    private const int PrefetchRowsPerCharacter = 4;

    /// <summary>Asks for the cache lines of character <paramref name="c"/>'s first rows and its scale without waiting.</summary>
    private unsafe void PrefetchRows(int c)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        var first = _firstRow[c];
        var end = Math.Min(_firstRow[c + 1], first + PrefetchRowsPerCharacter);
        fixed (sbyte* rows = _rows)
        fixed (float* scales = _scales)
        {
            Sse.Prefetch0(scales + first);
            for (var r = first; r < end; r++)
            {
                var row = rows + ((nint)r * Dim);
                // A row is 6 cache lines; a 7th when the array's data does not start on a line.
                for (var line = 0; line < Dim; line += 64)
                {
                    Sse.Prefetch0(row + line);
                }

                Sse.Prefetch0(row + Dim - 1);
            }
        }
    }

    /// <summary>Turns the first <paramref name="rows"/> shortlisted rows (in row order) into their distinct characters
    /// (so in character order), in place; returns how many.</summary>
    private int CharactersOf(int[] shortlist, int rows)
    {
        var n = 0;
        for (var i = 0; i < rows; i++)
        {
            var c = _rowCharacter[shortlist[i]];
            if (n == 0 || shortlist[n - 1] != c)
            {
                shortlist[n++] = c;
            }
        }

        return n;
    }

    /// <summary>The best similarity of one character's vectors to any window (and which window), or null when it has none.</summary>
    public (float Similarity, int Window)? SimilarityOf(Guid characterId, IReadOnlyList<float[]> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Count == 0 || !_characterOf.TryGetValue(characterId, out var c))
        {
            return null;
        }

        return Best(_firstRow[c], _firstRow[c + 1], Queries.Of(windows));
    }

    /// <summary>The best similarity of rows [first, end) to any query window, and that window.</summary>
    private (float Similarity, int Window) Best(int first, int end, Queries queries)
    {
        var best = float.NegativeInfinity;
        var bestWindow = 0;
        ref var rows = ref MemoryMarshal.GetArrayDataReference(_rows);
        for (var r = first; r < end; r++)
        {
            ref var row = ref Unsafe.Add(ref rows, r * Dim);
            for (var w = 0; w < queries.Count; w++)
            {
                var dot = DotOf(ref row, _rowSums[r], queries, w);
                var similarity = dot * _scales[r] * queries.Scales[w];
                if (similarity > best)
                {
                    best = similarity;
                    bestWindow = w;
                }
            }
        }

        return (best, bestWindow);
    }

    /// <summary>The prompt's windows quantised like the rows, and in the form the search's kernel reads: widened to 16
    /// bits once for the AVX2 and AVX-512 kernels (which then widen only the row), or biased to unsigned (q + 128) for
    /// VNNI, whose multiply-add takes one unsigned and one signed operand: Σ(q + 128)·r − 128·Σr = Σ q·r, exactly.</summary>
    private sealed class Queries
    {
        /// <summary>The kernel chosen for this search (<see cref="Kernel"/> when the queries were made).</summary>
        public required DotKernel Kernel { get; init; }

        public required sbyte[] Signed { get; init; }

        public required short[] Wide { get; init; }

        public required byte[] Biased { get; init; }

        public required float[] Scales { get; init; }

        /// <summary>The signs of each quantised query, as the rows' (<see cref="SignOf"/>).</summary>
        public required ulong[] Signs { get; init; }

        public int Count => Scales.Length;

        public static Queries Of(IReadOnlyList<float[]> vectors)
        {
            var signed = new sbyte[vectors.Count * Dim];
            var scales = new float[vectors.Count];
            for (var i = 0; i < vectors.Count; i++)
            {
                if (vectors[i].Length != Dim)
                {
                    throw new ArgumentException($"Query vectors must have {Dim} dimensions; one has {vectors[i].Length}.", nameof(vectors));
                }

                scales[i] = Quantize(vectors[i], signed.AsSpan(i * Dim, Dim));
            }

            var kernel = CharacterSemanticIndex.Kernel;
            var biased = kernel == DotKernel.Vnni ? new byte[signed.Length] : [];
            var wide = kernel is DotKernel.Avx2 or DotKernel.Avx512 ? new short[signed.Length] : [];
            for (var i = 0; i < biased.Length; i++)
            {
                biased[i] = (byte)(signed[i] + Bias);
            }

            for (var i = 0; i < wide.Length; i++)
            {
                wide[i] = signed[i];
            }

            var signs = new ulong[vectors.Count * SignWords];
            for (var i = 0; i < vectors.Count; i++)
            {
                SignOf(signed.AsSpan(i * Dim, Dim), signs.AsSpan(i * SignWords, SignWords));
            }

            return new Queries { Kernel = kernel, Signed = signed, Wide = wide, Biased = biased, Scales = scales, Signs = signs };
        }
    }

    private const int Bias = 128;

    /// <summary>The int8 dot-product kernels. Every one computes the same exact integer sum (int8 products of at most
    /// 127², 384 of them, never leave 32 bits), so every similarity is the same bit for bit whichever runs.</summary>
    internal enum DotKernel
    {
        /// <summary>One element at a time: the reference the tests hold the others to.</summary>
        Scalar,

        /// <summary>256-bit: the row widened to 16 bits, <c>vpmaddwd</c> against the query widened once.</summary>
        Avx2,

        /// <summary>512-bit, the same arithmetic as <see cref="Avx2"/> on twice the lanes (ADR-051): the kernel on
        /// machines with AVX-512 but without AVX-VNNI, which .NET 10 exposes only as its 256-bit VEX form.</summary>
        Avx512,

        /// <summary><c>vpdpbusd</c>: 32 multiply-adds an instruction, no widening.</summary>
        Vnni,
    }

    /// <summary>Whether this machine runs <paramref name="kernel"/>.</summary>
    internal static bool Supports(DotKernel kernel) => kernel switch
    {
        DotKernel.Scalar => true,
        DotKernel.Avx2 => Avx2.IsSupported,
        DotKernel.Avx512 => Avx512BW.IsSupported,
        DotKernel.Vnni => AvxVnni.IsSupported,
        _ => false,
    };

    /// <summary>The fastest kernel this machine runs: VNNI, else AVX-512, else AVX2, else one element at a time.</summary>
    internal static DotKernel FastestKernel { get; } = Enum.GetValues<DotKernel>().Where(Supports).Max();

    /// <summary>The kernel the scans use; the bench and the tests switch it to compare kernels in one process.</summary>
    internal static DotKernel Kernel
    {
        get => _kernel;
        set => _kernel = Supports(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "This machine does not run that kernel.");
    }

    private static DotKernel _kernel = FastestKernel;

    /// <summary>Σ row[i]·query w[i] exactly, by the queries' kernel; <paramref name="rowSum"/> (Σ row[i]) serves VNNI's bias.</summary>
    private static int DotOf(ref sbyte row, int rowSum, Queries queries, int w) => queries.Kernel switch
    {
        DotKernel.Vnni => DotVnni(ref row, ref queries.Biased[w * Dim]) - (Bias * rowSum),
        DotKernel.Avx512 => DotAvx512(ref row, ref queries.Wide[w * Dim]),
        DotKernel.Avx2 => DotAvx2(ref row, ref queries.Wide[w * Dim]),
        _ => DotScalar(ref row, ref queries.Signed[w * Dim]),
    };

    /// <summary>Symmetric int8: the largest magnitude maps to ±127. Returns the scale back to float.</summary>
    private static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> into)
    {
        var max = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(vector);
        var max1 = MathF.Abs(max);
        if (max1 == 0)
        {
            into.Clear();
            return 0;
        }

        var scale = max1 / 127f;
        for (var i = 0; i < vector.Length; i++)
        {
            into[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] / scale), -127, 127);
        }

        return scale;
    }

    /// <summary>Σ biased[i]·row[i] over <see cref="Dim"/> elements with VNNI (<c>vpdpbusd</c>: 32 multiply-adds an
    /// instruction, no widening).</summary>
    private static int DotVnni(ref sbyte row, ref byte biased)
    {
        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        for (nuint i = 0; i < Dim; i += 64)
        {
            acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Vector256.LoadUnsafe(ref biased, i), Vector256.LoadUnsafe(ref row, i));
            acc1 = AvxVnni.MultiplyWideningAndAdd(acc1, Vector256.LoadUnsafe(ref biased, i + 32), Vector256.LoadUnsafe(ref row, i + 32));
        }

        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>Σ row[i]·query[i] with AVX-512BW: 32 row bytes widened to 16 bits (<c>vpmovsxbw</c>), multiplied by
    /// the query's 16-bit lanes and added in pairs (<c>vpmaddwd</c>), twelve steps a row.</summary>
    private static int DotAvx512(ref sbyte row, ref short query)
    {
        var acc0 = Vector512<int>.Zero;
        var acc1 = Vector512<int>.Zero;
        for (nuint i = 0; i < Dim; i += 64)
        {
            acc0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref row, i)), Vector512.LoadUnsafe(ref query, i));
            acc1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref row, i + 32)), Vector512.LoadUnsafe(ref query, i + 32));
        }

        return Vector512.Sum(acc0 + acc1);
    }

    /// <summary>Σ row[i]·query[i] with AVX2: 16 row bytes widened to 16 bits a step, against the widened query.</summary>
    private static int DotAvx2(ref sbyte row, ref short query)
    {
        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        for (nuint i = 0; i < Dim; i += 32)
        {
            acc0 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, i)), Vector256.LoadUnsafe(ref query, i));
            acc1 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, i + 16)), Vector256.LoadUnsafe(ref query, i + 16));
        }

        return Vector256.Sum(acc0 + acc1);
    }

    private static int DotScalar(ref sbyte row, ref sbyte query)
    {
        var sum = 0;
        for (var i = 0; i < Dim; i++)
        {
            sum += Unsafe.Add(ref row, i) * Unsafe.Add(ref query, i);
        }

        return sum;
    }
}
