using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Compliance.Classifiers.Text;

/// <summary>64-bit hashes of skeletons and of their one-symbol deletions, the latter in linear time.</summary>
internal static class SkeletonHash
{
    private const ulong Base = 0x100000001B3;

    internal static ulong Of(ReadOnlySpan<ushort> symbols)
    {
        ulong raw = 0;
        foreach (var symbol in symbols)
        {
            raw = (raw * Base) + symbol + 1UL;
        }

        return Finish(raw, symbols.Length);
    }

    /// <summary>Writes into <paramref name="hashes"/>[k] the hash of <paramref name="symbols"/> without symbol k.</summary>
    internal static void OfDeletions(ReadOnlySpan<ushort> symbols, Span<ulong> hashes)
    {
        var n = symbols.Length;
        Span<ulong> suffix = n <= 256 ? stackalloc ulong[n + 1] : new ulong[n + 1];
        Span<ulong> power = n <= 256 ? stackalloc ulong[n + 1] : new ulong[n + 1];
        power[0] = 1;
        for (var i = 1; i <= n; i++)
        {
            power[i] = power[i - 1] * Base;
        }

        suffix[n] = 0;
        for (var i = n - 1; i >= 0; i--)
        {
            suffix[i] = ((symbols[i] + 1UL) * power[n - 1 - i]) + suffix[i + 1];
        }

        ulong prefix = 0;
        for (var k = 0; k < n; k++)
        {
            // raw(s without k) = prefix(s[..k]) · B^(n-1-k) + suffix(s[k+1..])
            hashes[k] = Finish((prefix * power[n - 1 - k]) + suffix[k + 1], n - 1);
            prefix = (prefix * Base) + symbols[k] + 1UL;
        }
    }

    internal static uint Fingerprint(ulong hash) => (uint)(hash >> 32) | 1u;

    /// <summary>
    /// The raw polynomial of every prefix (<paramref name="prefix"/>[i] for symbols[..i]) and the powers of the base, so
    /// that <see cref="RawOf(ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, int, int)"/> gives any substring's in O(1).
    /// </summary>
    internal static void Prefixes(ReadOnlySpan<ushort> symbols, Span<ulong> prefix, Span<ulong> power)
    {
        prefix[0] = 0;
        power[0] = 1;
        for (var i = 0; i < symbols.Length; i++)
        {
            prefix[i + 1] = (prefix[i] * Base) + symbols[i] + 1UL;
            power[i + 1] = power[i] * Base;
        }
    }

    /// <summary>The raw polynomial of symbols[start..(start + length)] from <see cref="Prefixes"/> (exact modulo 2⁶⁴).</summary>
    internal static ulong RawOf(ReadOnlySpan<ulong> prefix, ReadOnlySpan<ulong> power, int start, int length) =>
        prefix[start + length] - (prefix[start] * power[length]);

    /// <summary>The raw polynomial of <paramref name="symbols"/>, as <see cref="RawOf(ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, int, int)"/> computes it.</summary>
    internal static ulong RawOf(ReadOnlySpan<ushort> symbols)
    {
        ulong raw = 0;
        foreach (var symbol in symbols)
        {
            raw = (raw * Base) + symbol + 1UL;
        }

        return raw;
    }

    /// <summary>The hash of the <paramref name="length"/> symbols at <paramref name="start"/> from <see cref="Prefixes"/>: the
    /// value <see cref="Of"/> gives for them.</summary>
    internal static ulong OfRange(ReadOnlySpan<ulong> prefix, ReadOnlySpan<ulong> power, int start, int length) =>
        Finish(RawOf(prefix, power, start, length), length);

    /// <summary>The hash of the <paramref name="length"/> symbols at <paramref name="start"/> without the one at offset
    /// <paramref name="deleted"/>, from <see cref="Prefixes"/>: the value <see cref="OfDeletions"/> gives for it.</summary>
    internal static ulong OfDeletion(ReadOnlySpan<ulong> prefix, ReadOnlySpan<ulong> power, int start, int length, int deleted) =>
        Finish((RawOf(prefix, power, start, deleted) * power[length - 1 - deleted]) + RawOf(prefix, power, start + deleted + 1, length - 1 - deleted), length - 1);

    /// <summary>
    /// The hash of the <paramref name="length"/> symbols at <paramref name="start"/> without the ones at offsets
    /// <paramref name="first"/> &lt; <paramref name="second"/>, from <see cref="Prefixes"/>: the value
    /// <see cref="OfDeletions"/> gives for deleting <paramref name="second"/> − 1 from the string without
    /// <paramref name="first"/>, in O(1) and without building that string (ADR-033).
    /// </summary>
    internal static ulong OfTwoDeletions(ReadOnlySpan<ulong> prefix, ReadOnlySpan<ulong> power, int start, int length, int first, int second)
    {
        // raw(s without first, second) = raw(s[..first]) · B^(n-2-first) + raw(s[first+1..second]) · B^(n-1-second) + raw(s[second+1..])
        var raw = (RawOf(prefix, power, start, first) * power[length - 2 - first])
            + (RawOf(prefix, power, start + first + 1, second - first - 1) * power[length - 1 - second])
            + RawOf(prefix, power, start + second + 1, length - second - 1);
        return Finish(raw, length - 2);
    }

    /// <summary>The key of piece <paramref name="piece"/> of a pattern of <paramref name="patternLength"/> symbols whose
    /// symbols have the raw polynomial <paramref name="raw"/> (the two-edit piece index, ADR-033).</summary>
    internal static ulong PieceKey(ulong raw, int length, int patternLength, int piece) =>
        Finish(raw ^ ((((ulong)patternLength << 8) | (uint)piece) * 0xD6E8FEB86659FD93), length);

    private static ulong Finish(ulong raw, int length)
    {
        var z = raw ^ ((ulong)length * 0x9E3779B97F4A7C15);
        z = (z ^ (z >> 33)) * 0xFF51AFD7ED558CCD;
        z = (z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53;
        return z ^ (z >> 33);
    }
}

/// <summary>
/// A read-only multimap from 32-bit fingerprints to ints: one sorted array of packed (fingerprint, value) pairs
/// and a directory on the fingerprint's top bits, so a lookup is two memory reads and a short scan. 8 bytes an entry,
/// and optionally a blocked Bloom filter in front (one more byte an entry) that answers most absent fingerprints
/// from one 64-bit word.
/// </summary>
internal sealed class FingerprintTable
{
    /// <summary>Filter bits per entry: with four bits set in one 64-bit word per key, about 2–3% of absent keys pass.</summary>
    private const int FilterBitsPerEntry = 8;

    private readonly ulong[] _entries;
    private readonly int[] _directory;
    private readonly int _shift;
    private readonly FingerprintFilter? _filter;

    internal FingerprintTable(List<ulong> packed, bool withFilter = false)
    {
        packed.Sort();
        var distinct = 0;
        for (var i = 0; i < packed.Count; i++)
        {
            if (i == 0 || packed[i] != packed[i - 1])
            {
                packed[distinct++] = packed[i];
            }
        }

        _entries = [.. packed.Take(distinct)];
        // About eight entries a bucket: the scan stays within a cache line or two and the directory stays small.
        var bits = Math.Clamp((int)Math.Ceiling(Math.Log2(Math.Max(distinct, 2))) - 3, 4, 22);
        _shift = 32 - bits;
        _directory = new int[(1 << bits) + 1];
        var entry = 0;
        for (var bucket = 0; bucket < 1 << bits; bucket++)
        {
            _directory[bucket] = entry;
            while (entry < _entries.Length && (int)((_entries[entry] >> 32) >> _shift) == bucket)
            {
                entry++;
            }
        }

        _directory[1 << bits] = _entries.Length;
        if (withFilter)
        {
            // One word per key: a probe of an absent fingerprint (nearly every probe of an ordinary prompt) costs one
            // cache line instead of the directory's and the bucket's.
            _filter = new FingerprintFilter(_entries.Length, FilterBitsPerEntry);
            foreach (var packedEntry in _entries)
            {
                _filter.Add((uint)(packedEntry >> 32));
            }
        }
    }

    /// <summary>False when <paramref name="fingerprint"/> is certainly absent; true when it may be present.</summary>
    internal bool MayContain(uint fingerprint) => _filter is not { } filter || filter.MayContain(fingerprint);

    /// <summary>Asks the memory for the filter's line of <paramref name="fingerprint"/> ahead of <see cref="MayContain"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Prefetch(uint fingerprint) => _filter?.Prefetch(fingerprint);

    internal int Count => _entries.Length;

    internal static ulong Pack(uint fingerprint, int value) => ((ulong)fingerprint << 32) | (uint)value;

    /// <summary>Entries whose fingerprint shares a bucket with <paramref name="fingerprint"/>; compare the high half.</summary>
    internal ReadOnlySpan<ulong> Bucket(uint fingerprint)
    {
        var bucket = (int)(fingerprint >> _shift);
        return _entries.AsSpan(_directory[bucket], _directory[bucket + 1] - _directory[bucket]);
    }

    internal bool Contains(uint fingerprint)
    {
        if (!MayContain(fingerprint))
        {
            return false;
        }

        foreach (var entry in Bucket(fingerprint))
        {
            if ((uint)(entry >> 32) == fingerprint)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// A blocked Bloom filter of 32-bit fingerprints: four bits in one 64-bit word per key, so a probe reads one cache line.
/// No false negatives; the share of absent keys that pass falls with the bits given per key (about 2–3% at 8).
/// </summary>
internal sealed class FingerprintFilter
{
    private readonly ulong[] _words;

    internal FingerprintFilter(int keys, int bitsPerKey) =>
        _words = new ulong[Math.Max(1, (int)Math.Min(int.MaxValue / 2, ((long)keys * bitsPerKey) / 64))];

    internal void Add(uint fingerprint) => AddHash(Mix(fingerprint));

    /// <summary>False when <paramref name="fingerprint"/> was certainly never added; true when it may have been.</summary>
    internal bool MayContain(uint fingerprint) => MayContainHash(Mix(fingerprint));

    /// <summary>Asks the memory for <paramref name="fingerprint"/>'s word ahead of <see cref="MayContain"/>: a prompt's
    /// probes go to lines of a table far larger than the caches, and asked for together they arrive together instead of
    /// one miss after another. A hint only: it changes no answer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Prefetch(uint fingerprint) => PrefetchHash(Mix(fingerprint));

    /// <summary><see cref="Prefetch"/> for a hash added with <see cref="AddHash"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe void PrefetchHash(ulong hash)
    {
        if (Sse.IsSupported)
        {
            var word = Slot(hash, _words.Length).Word;
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_words), word)));
        }
    }

    /// <summary>Adds a well-mixed 64-bit hash (a <see cref="SkeletonHash"/> value) as it is, without mixing it again.</summary>
    internal void AddHash(ulong hash)
    {
        var (word, mask) = Slot(hash, _words.Length);
        _words[word] |= mask;
    }

    /// <summary><see cref="MayContain"/> for a hash added with <see cref="AddHash"/>.</summary>
    internal bool MayContainHash(ulong hash)
    {
        var (word, mask) = Slot(hash, _words.Length);
        return (_words[word] & mask) == mask;
    }

    /// <summary>A 32-bit fingerprint spread over 64 bits.</summary>
    private static ulong Mix(uint fingerprint)
    {
        var z = fingerprint * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 29)) * 0xBF58476D1CE4E5B9UL;
        return z ^ (z >> 32);
    }

    /// <summary>The word from the high half (multiply-shift onto [0, words)), four bit positions from the low 24 bits.</summary>
    private static (int Word, ulong Mask) Slot(ulong z, int words) =>
        ((int)(((z >> 32) * (ulong)words) >> 32),
         (1UL << (int)(z & 63)) | (1UL << (int)((z >> 6) & 63)) | (1UL << (int)((z >> 12) & 63)) | (1UL << (int)((z >> 18) & 63)));
}

/// <summary>Optimal string alignment distance (Damerau with adjacent transpositions, no substring edited twice).</summary>
internal static class OsaDistance
{
    /// <returns>The distance, or <paramref name="max"/> + 1 when it exceeds <paramref name="max"/>.</returns>
    /// <remarks>
    /// Only the band |i − j| ≤ max of the table is computed (ADR-040): a cell outside it is at least |i − j| &gt; max, so
    /// it is held at max + 1, and every cell inside then holds min(its distance, max + 1) — each step of the recurrence
    /// (deletion, insertion, substitution, transposition) adds at least 0 to a neighbour, so a path through a capped cell
    /// costs more than max and capping it changes no value at or below max. O(max · length) instead of O(length²).
    /// </remarks>
    internal static int Bounded(ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b, int max)
    {
        if (Math.Abs(a.Length - b.Length) > max)
        {
            return max + 1;
        }

        var cap = max + 1;
        var width = b.Length + 1;
        Span<int> rows = width * 3 <= 1024 ? stackalloc int[width * 3] : new int[width * 3];
        var previous2 = rows[..width];
        var previous = rows.Slice(width, width);
        var current = rows.Slice(width * 2, width);
        for (var j = 0; j < width; j++)
        {
            previous[j] = Math.Min(j, cap);
        }

        for (var i = 1; i <= a.Length; i++)
        {
            // Row i reads previous[lo - 1 .. hi], current[lo - 1 .. hi - 1] and previous2[lo - 2 .. hi - 2]: each row
            // writes its band and one capped cell on either side, which covers them.
            var lo = Math.Max(1, i - max);
            var hi = Math.Min(b.Length, i + max);
            current[0] = Math.Min(i, cap);
            current[lo - 1] = lo == 1 ? current[0] : cap;
            var rowMin = lo == 1 ? current[0] : cap;
            for (var j = lo; j <= hi; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var value = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    value = Math.Min(value, previous2[j - 2] + 1);
                }

                value = Math.Min(value, cap);
                current[j] = value;
                rowMin = Math.Min(rowMin, value);
            }

            if (hi < b.Length)
            {
                current[hi + 1] = cap;
            }

            if (rowMin > max)
            {
                return cap;
            }

            var recycled = previous2;
            previous2 = previous;
            previous = current;
            current = recycled;
        }

        return Math.Min(previous[b.Length], cap);
    }
}

/// <summary>
/// The optimal-string-alignment distance of one window of at most 64 symbols to many candidates, bit-parallel
/// (Hyyrö's extension of Myers' algorithm to adjacent transpositions): the window's symbols are bit masks, set once per
/// window, and each candidate costs a few word operations per symbol (ADR-040). The same value as
/// <see cref="OsaDistance.Bounded"/>; a test compares the two with the full table.
/// </summary>
internal sealed class OsaWindow
{
    /// <summary>The longest window this handles; longer ones use <see cref="OsaDistance.Bounded"/>.</summary>
    internal const int MaxLength = 64;

    private readonly ulong[] _latin = new ulong[TextNormalizer.LatinSymbolCount + 1];
    private readonly List<(ushort Symbol, ulong Mask)> _other = [];
    private int _length;

    /// <summary>Sets the window (at most <see cref="MaxLength"/> symbols).</summary>
    internal void Set(ReadOnlySpan<ushort> window)
    {
        Array.Clear(_latin);
        _other.Clear();
        _length = window.Length;
        for (var i = 0; i < window.Length; i++)
        {
            var symbol = window[i];
            if (symbol <= TextNormalizer.LatinSymbolCount)
            {
                _latin[symbol] |= 1UL << i;
                continue;
            }

            // A plain loop, not FindIndex with a lambda: capturing the symbol would allocate on every iteration.
            var k = 0;
            while (k < _other.Count && _other[k].Symbol != symbol)
            {
                k++;
            }

            if (k == _other.Count)
            {
                _other.Add((symbol, 1UL << i));
            }
            else
            {
                _other[k] = (symbol, _other[k].Mask | (1UL << i));
            }
        }
    }

    /// <returns>The distance of the window to <paramref name="other"/>, or <paramref name="max"/> + 1 when it exceeds it.</returns>
    internal int Bounded(ReadOnlySpan<ushort> other, int max)
    {
        var m = _length;
        if (Math.Abs(m - other.Length) > max)
        {
            return max + 1;
        }

        if (m == 0)
        {
            return Math.Min(other.Length, max + 1);
        }

        // Column by column over the other string: VP/VN are the vertical +1/−1 differences of the current column,
        // D0 the cells whose value equals the diagonal neighbour's, the score the bottom cell (distance so far).
        var top = 1UL << (m - 1);
        var vp = m == 64 ? ulong.MaxValue : (1UL << m) - 1;
        var vn = 0UL;
        var d0 = 0UL;
        var previousMatch = 0UL;
        var score = m;
        foreach (var symbol in other)
        {
            var match = Mask(symbol);
            var transposed = (((~d0) & match) << 1) & previousMatch;
            d0 = (((match & vp) + vp) ^ vp) | match | vn | transposed;
            var hp = vn | ~(d0 | vp);
            var hn = vp & d0;
            if ((hp & top) != 0)
            {
                score++;
            }
            else if ((hn & top) != 0)
            {
                score--;
            }

            hp = (hp << 1) | 1;
            hn <<= 1;
            vp = hn | ~(d0 | hp);
            vn = hp & d0;
            previousMatch = match;
        }

        return Math.Min(score, max + 1);
    }

    private ulong Mask(ushort symbol)
    {
        if (symbol <= TextNormalizer.LatinSymbolCount)
        {
            return _latin[symbol];
        }

        foreach (var (s, mask) in _other)
        {
            if (s == symbol)
            {
                return mask;
            }
        }

        return 0;
    }
}

/// <summary>
/// Yes/no answers that depend only on a prompt word's or window's symbols and the catalog, keyed by a 64-bit skeleton
/// hash (ADR-053). As the word memo: what the word filters answered (<see cref="AliasWord"/>, <see cref="NearOne"/>,
/// <see cref="NearTwo"/>, <see cref="OnePart"/>); as the window memo (a second table, keyed by the window's hash mixed with
/// its parts): whether the window gave no match (<see cref="WindowNoHit"/>, <see cref="WindowNoHitOneEdit"/>). A
/// direct-mapped table of 32,768 keys, 256 KiB, small enough to stay in the core's cache where the filters and the index
/// it saves reads of span megabytes to a gigabyte.
/// </summary>
/// <remarks>
/// Each slot is one 64-bit word, written and read whole (atomic on every 64-bit .NET platform): the word's hash above its
/// low 8 bits, then two bits per answer (known, value). The slot's index is the hash's low 15 bits, so a slot whose high
/// bits equal a hash's high bits holds that very hash. Threads race on slots without locks: a write may drop another
/// thread's answers for the same word or evict another word (both are then asked of the filters again), but every bit
/// written is the filters' answer for that exact hash, so no answer is ever wrong. Two words share an answer only if
/// their 64-bit skeleton hashes are equal.
/// </remarks>
internal sealed class WordMemo
{
    internal const int AliasWord = 0;
    internal const int NearOne = 2;
    internal const int NearTwo = 4;
    internal const int OnePart = 6;
    internal const int WindowNoHit = 0;
    internal const int WindowNoHitOneEdit = 2;

    private const ulong AnswerBits = 0xFF;

    private readonly ulong[] _slots;
    private readonly int _mask;

    /// <param name="slotBits">log2 of the slots (at least 8, so that a slot's index covers the answer bits).</param>
    internal WordMemo(int slotBits = 15)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotBits, 8);
        _slots = new ulong[1 << slotBits];
        _mask = (1 << slotBits) - 1;
    }

    /// <returns>1 or 0 when <paramref name="answer"/> is known for the word <paramref name="hash"/>, -1 when not.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int Get(ulong hash, int answer)
    {
        var slot = Volatile.Read(ref _slots[(int)hash & _mask]);
        if ((slot & ~AnswerBits) != (hash & ~AnswerBits))
        {
            return -1;
        }

        var bits = (int)(slot >> answer) & 3;
        return (bits & 1) == 0 ? -1 : bits >> 1;
    }

    /// <summary>Records the filters' <paramref name="value"/> of <paramref name="answer"/> for the word <paramref name="hash"/>.</summary>
    internal void Set(ulong hash, int answer, bool value)
    {
        ref var slot = ref _slots[(int)hash & _mask];
        var current = Volatile.Read(ref slot);
        var kept = (current & ~AnswerBits) == (hash & ~AnswerBits) ? current & AnswerBits & ~(3UL << answer) : 0;
        Volatile.Write(ref slot, (hash & ~AnswerBits) | kept | ((value ? 3UL : 1UL) << answer));
    }
}
