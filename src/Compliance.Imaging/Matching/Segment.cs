using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Matching;

/// <summary>
/// Segment sizes from which the wide and the widest chunk layouts are used, and log2 of the entries a bucket aims to hold
/// (<see cref="Segment.DefaultEntriesPerBucketLog2"/>; tests and the bench try others).
/// </summary>
internal readonly record struct LayoutThresholds(int Wide, int Widest, int EntriesPerBucketLog2 = Segment.DefaultEntriesPerBucketLog2)
{
    public static LayoutThresholds Default => new(ChunkLayout.WideThreshold, ChunkLayout.WidestThreshold);
}

/// <summary>
/// An immutable block of entries with one bucket table per chunk (see <see cref="ChunkLayout"/>); only
/// the tombstone bitmap and the writer's live count change after construction.
/// </summary>
/// <remarks>
/// A chunk's bucket is the chunk value's top <c>B</c> bits (the same <c>B</c> for every chunk of a segment, chosen so a
/// bucket holds about 0.75·2^<see cref="LayoutThresholds.EntriesPerBucketLog2"/> entries); each posting packs the entry's
/// slot with the chunk's remaining low bits (the sub-key), so a bucket's entries are filtered by a popcount of a few bits
/// before any of their hashes is read (ADR-024). Every bucket is one 64-byte cache line of 16 postings, found by its
/// number alone (no table of bucket starts); a bucket with more than 16 entries keeps 15 in its line and, in the 16th
/// place, the offset of the rest in its chunk's overflow array (ADR-030).
/// </remarks>
internal sealed class Segment
{
    /// <summary>log2 of the entries a bucket aims to hold (times 0.75); tuned on 10M hashes at radius 31 (ADR-030).</summary>
    public const int DefaultEntriesPerBucketLog2 = 4;

    /// <summary>Postings in one bucket line (64 bytes).</summary>
    private const int LineSlots = 16;

    /// <summary>An unused place in a bucket line. Postings never have the top bit set; overflow offsets do, below this.</summary>
    private const uint Empty = uint.MaxValue;

    private const uint OverflowTag = 0x8000_0000;

    /// <summary>Segments at least this large build their chunk tables in parallel.</summary>
    private const int ParallelBuildThreshold = 1 << 18;

    /// <summary>The build's first level partitions a chunk's entries by at most this many top bits.</summary>
    private const int CoarseBits = 10;

    private readonly long[] _ids;
    private readonly ulong[] _words;
    private readonly ChunkLayout _layout;
    private readonly int _bucketBits;

    // Chunk c's bucket b is the line _lines[_linesBase + 16·(c·2^B + b) ..+16]: up to 16 postings, Empty after the last;
    // or 15 postings and OverflowTag | o, where _overflow[c][o] is how many more there are and they follow it. A posting
    // is (slot << _subBits[c]) | (the chunk value's low _subBits[c] bits). _linesBase aligns the lines to 64 bytes in
    // the pinned array.
    private readonly uint[] _lines;
    private readonly int _linesBase;
    private readonly uint[][] _overflow;
    private readonly int[] _subBits;

    [ThreadStatic]
    private static QueryScratch? t_scratch;

    private Segment(long[] ids, ulong[] words, ChunkLayout layout, int bucketBits, uint[] lines, int linesBase, uint[][] overflow)
    {
        _ids = ids;
        _words = words;
        _layout = layout;
        _bucketBits = bucketBits;
        _lines = lines;
        _linesBase = linesBase;
        _overflow = overflow;
        _subBits = new int[layout.Count];
        for (var c = 0; c < layout.Count; c++)
        {
            _subBits[c] = layout.Width(c) - bucketBits;
        }

        Deleted = new long[(ids.Length + 63) / 64];
        LiveCount = ids.Length;
    }

    public int Count => _ids.Length;

    /// <summary>Entries not removed; read and written only under the index's writer lock.</summary>
    public int LiveCount { get; set; }

    public long[] Deleted { get; }

    /// <summary>
    /// Builds the bucket lines by a counting sort per chunk (count, then place: two passes over the hashes and no
    /// per-entry objects), the chunks in parallel for large segments. <paramref name="ids"/> must be ascending and
    /// distinct; <paramref name="words"/> holds four words per entry.
    /// </summary>
    public static unsafe Segment Build(long[] ids, ulong[] words, LayoutThresholds thresholds)
    {
        var n = ids.Length;
        var layout = ChunkLayout.For(n, thresholds.Wide, thresholds.Widest);
        var bucketBits = BucketBits(layout, n, thresholds.EntriesPerBucketLog2);
        var bucketCount = 1 << bucketBits;
        if (SlotBits(n) + layout.WidestWidth - bucketBits > 31)
        {
            throw new NotSupportedException($"A segment of {n:N0} entries is too large for 32-bit postings.");
        }

        var lines = LargeArrays.AllocateUninitialized<uint>(checked((layout.Count * bucketCount * LineSlots) + LineSlots), pinned: true);
        int linesBase;
        fixed (uint* first = lines)
        {
            linesBase = (int)((64 - ((nint)first & 63)) & 63) / sizeof(uint);
        }

        var overflow = new uint[layout.Count][];
        if (n >= ParallelBuildThreshold)
        {
            Parallel.For(
                0,
                layout.Count,
                () => new BuildScratch(n, bucketCount),
                (c, _, scratch) =>
                {
                    BuildChunk(c, scratch);
                    return scratch;
                },
                _ => { });
        }
        else
        {
            var scratch = new BuildScratch(n, bucketCount);
            for (var c = 0; c < layout.Count; c++)
            {
                BuildChunk(c, scratch);
            }
        }

        return new Segment(ids, words, layout, bucketBits, lines, linesBase, overflow);

        // A counting sort in two levels so that no pass writes at random into tables larger than a cache: first the
        // entries are partitioned by the bucket's top bits (at most 1,024 partitions, written sequentially), then each
        // partition, whose buckets are a narrow range of lines, is counted and placed. Slots stay ascending in a bucket.
        void BuildChunk(int c, BuildScratch scratch)
        {
            var subBits = layout.Width(c) - bucketBits;
            var subMask = (1 << subBits) - 1;
            var coarseShift = subBits + Math.Max(0, bucketBits - CoarseBits);
            var coarse = new int[(1 << (layout.Width(c) - coarseShift)) + 1];
            for (var slot = 0; slot < n; slot++)
            {
                coarse[(layout.Extract(words, slot, c) >> coarseShift) + 1]++;
            }

            for (var p = 1; p < coarse.Length; p++)
            {
                coarse[p] += coarse[p - 1];
            }

            var entries = scratch.Entries;
            for (var slot = 0; slot < n; slot++)
            {
                var value = layout.Extract(words, slot, c);
                entries[coarse[value >> coarseShift]++] = ((ulong)(uint)value << 32) | (uint)slot;
            }

            var counts = scratch.Counts;
            Array.Clear(counts);
            foreach (var entry in entries)
            {
                counts[(int)(entry >> 32 >> subBits)]++;
            }

            // Buckets over 16 entries keep 15 in their line and the rest, after a count, in the chunk's overflow array.
            var overflowBase = scratch.OverflowBase;
            var overflowLength = 0;
            for (var b = 0; b < bucketCount; b++)
            {
                if (counts[b] > LineSlots)
                {
                    overflowBase[b] = overflowLength;
                    overflowLength += 1 + counts[b] - (LineSlots - 1);
                }
            }

            var chunkOverflow = overflowLength == 0 ? [] : new uint[overflowLength];
            var chunkLines = lines.AsSpan(linesBase + (c * bucketCount * LineSlots), bucketCount * LineSlots);
            var fill = scratch.Fill;
            Array.Clear(fill);
            foreach (var entry in entries)
            {
                var value = (int)(entry >> 32);
                var b = value >> subBits;
                var posting = ((uint)entry << subBits) | (uint)(value & subMask);
                var place = fill[b]++;
                if (counts[b] <= LineSlots || place < LineSlots - 1)
                {
                    chunkLines[(b * LineSlots) + place] = posting;
                }
                else
                {
                    chunkOverflow[overflowBase[b] + 1 + place - (LineSlots - 1)] = posting;
                }
            }

            for (var b = 0; b < bucketCount; b++)
            {
                var count = counts[b];
                if (count > LineSlots)
                {
                    chunkLines[(b * LineSlots) + LineSlots - 1] = OverflowTag | (uint)overflowBase[b];
                    chunkOverflow[overflowBase[b]] = (uint)(count - (LineSlots - 1));
                }
                else if (count < LineSlots)
                {
                    chunkLines.Slice((b * LineSlots) + count, LineSlots - count).Fill(Empty);
                }
            }

            overflow[c] = chunkOverflow;
        }
    }

    // B: about 0.75·2^entriesPerBucketLog2 entries per bucket (so that, at the default, a bucket rarely overflows its line),
    // at most the narrowest chunk's width, and at least enough that the widest chunk's sub-key fits beside a slot in 31 bits.
    private static int BucketBits(ChunkLayout layout, int n, int entriesPerBucketLog2)
    {
        var slotBits = SlotBits(n);
        var narrowest = layout.NarrowestWidth;
        var widest = layout.WidestWidth;
        var bits = (int)Math.Ceiling(Math.Log2(Math.Max(1.0, n / (0.75 * Math.Pow(2, entriesPerBucketLog2)))));
        bits = Math.Clamp(bits, 1, narrowest);
        return Math.Min(narrowest, Math.Max(bits, widest - (31 - slotBits)));
    }

    private static int SlotBits(int n) => n <= 2 ? 1 : 64 - BitOperations.LeadingZeroCount((ulong)(n - 1));

    /// <summary>The live entries of one or two segments, merged by id into a new segment.</summary>
    public static Segment Merge(Segment first, Segment? second, LayoutThresholds thresholds)
    {
        var total = first.LiveCount + (second?.LiveCount ?? 0);
        var ids = new long[total];
        var words = new ulong[4 * total];
        int i = 0, j = 0, k = 0;
        while (true)
        {
            i = first.NextLive(i);
            j = second?.NextLive(j) ?? 0;
            var firstDone = i >= first.Count;
            var secondDone = second is null || j >= second.Count;
            if (firstDone && secondDone)
            {
                break;
            }

            var takeFirst = secondDone || (!firstDone && first._ids[i] <= second!._ids[j]);
            var from = takeFirst ? first : second!;
            var slot = takeFirst ? i++ : j++;
            ids[k] = from._ids[slot];
            from._words.AsSpan(4 * slot, 4).CopyTo(words.AsSpan(4 * k, 4));
            k++;
        }

        return Build(ids, words, thresholds);
    }

    private int NextLive(int slot)
    {
        while (slot < Count && Tombstones.IsSet(Deleted, slot))
        {
            slot++;
        }

        return slot;
    }

    /// <summary>The slot holding <paramref name="id"/> if it is present and not removed, else -1.</summary>
    public int FindLive(long id)
    {
        var slot = Array.BinarySearch(_ids, id);
        return slot >= 0 && !Tombstones.IsSet(Deleted, slot) ? slot : -1;
    }

    /// <summary>
    /// Adds this segment's live entries within <paramref name="maxDistance"/> of <paramref name="query"/>. The reads are
    /// random in tables of hundreds of megabytes, so the work is done in three passes over every chunk at once, each
    /// prefetching what the next one reads: the bucket line of every probe, then the candidates of every line whose
    /// sub-key is close enough (eight postings per vector compare), then the full distances (ADR-024, ADR-030).
    /// </summary>
    public unsafe void Query(PdqHash query, int maxDistance, List<PdqMatch> matches)
    {
        var n = _ids.Length;
        var chunks = _layout.Count;
        Span<int> radii = stackalloc int[chunks];
        _layout.Radii(maxDistance, radii);
        var probeCount = 0L;
        for (var c = 0; c < chunks; c++)
        {
            probeCount += radii[c] < 0 ? 0 : ChunkLayout.NeighbourMasks(_bucketBits, radii[c]).Length;
        }

        if (probeCount >= n)
        {
            // Probing would visit more buckets than there are entries (a very wide radius, or a small segment).
            ScanAll(query, maxDistance, matches);
            return;
        }

        var scratch = t_scratch ??= new QueryScratch();
        var probes = scratch.Ints(ref scratch.Probes, 2 * (int)probeCount);
        Span<int> querySub = stackalloc int[chunks];
        ref var lines = ref MemoryMarshal.GetArrayDataReference(_lines);
        ref var words = ref MemoryMarshal.GetArrayDataReference(_words);

        // 1. Every probe's bucket line, all chunks; a probe's budget is how many sub-key bits may still differ (the
        //    chunk's radius less the bits its mask flipped).
        var p = 0;
        for (var c = 0; c < chunks; c++)
        {
            if (radii[c] < 0)
            {
                continue;
            }

            var value = _layout.Extract(query.W0, query.W1, query.W2, query.W3, c);
            querySub[c] = value & ((1 << _subBits[c]) - 1);
            var chunkBase = _linesBase + (c << (_bucketBits + 4));
            var bucket = value >> _subBits[c];
            foreach (var mask in ChunkLayout.NeighbourMasks(_bucketBits, radii[c]))
            {
                var line = chunkBase + ((bucket ^ mask) << 4);
                probes[p++] = line;
                probes[p++] = (c << 8) | (radii[c] - BitOperations.PopCount((uint)mask));
                Prefetch(ref Unsafe.Add(ref lines, line));
            }
        }

        // 2. Candidates: postings whose sub-key is within the probe's budget; their hashes are asked for now.
        var candidates = scratch.Ints(ref scratch.Candidates, 2 * (int)probeCount * LineSlots);
        var candidateCount = 0;
        for (p = 0; p < 2 * probeCount; p += 2)
        {
            ref var line = ref Unsafe.Add(ref lines, probes[p]);
            var c = probes[p + 1] >> 8;
            var budget = probes[p + 1] & 0xFF;
            var subBits = _subBits[c];
            var subMask = (uint)((1 << subBits) - 1);
            var wanted = (uint)querySub[c];
            if (Vector256.IsHardwareAccelerated)
            {
                var low = Vector256.LoadUnsafe(ref line);
                var high = Vector256.LoadUnsafe(ref line, 8);
                var close = (uint)ClosePostings(low, wanted, subMask, budget) | ((uint)ClosePostings(high, wanted, subMask, budget) << 8);
                while (close != 0)
                {
                    var i = BitOperations.TrailingZeroCount(close);
                    close &= close - 1;
                    var slot = (int)(Unsafe.Add(ref line, i) >> subBits);
                    candidates[candidateCount++] = slot;
                    candidates[candidateCount++] = c;
                    Prefetch(ref Unsafe.Add(ref words, 4 * slot));
                }
            }
            else
            {
                for (var i = 0; i < LineSlots; i++)
                {
                    var posting = Unsafe.Add(ref line, i);
                    if ((posting & OverflowTag) == 0 && BitOperations.PopCount((posting ^ wanted) & subMask) <= budget)
                    {
                        var slot = (int)(posting >> subBits);
                        candidates[candidateCount++] = slot;
                        candidates[candidateCount++] = c;
                        Prefetch(ref Unsafe.Add(ref words, 4 * slot));
                    }
                }
            }

            var last = Unsafe.Add(ref line, LineSlots - 1);
            if (last != Empty && (last & OverflowTag) != 0)
            {
                // A bucket longer than its line (rare at the default size): the rest, read at once.
                var rest = _overflow[c].AsSpan((int)(last & ~OverflowTag));
                var more = (int)rest[0];
                candidates = scratch.Ints(ref scratch.Candidates, candidateCount + (2 * more) + (2 * ((int)probeCount * LineSlots)));
                foreach (var posting in rest.Slice(1, more))
                {
                    if (BitOperations.PopCount((posting ^ wanted) & subMask) <= budget)
                    {
                        var slot = (int)(posting >> subBits);
                        candidates[candidateCount++] = slot;
                        candidates[candidateCount++] = c;
                        Prefetch(ref Unsafe.Add(ref words, 4 * slot));
                    }
                }
            }
        }

        // 3. Full distances. An entry close in several chunks is a candidate of each; it is reported only from the first.
        for (var i = 0; i < candidateCount; i += 2)
        {
            var slot = candidates[i];
            ref var w = ref Unsafe.Add(ref words, 4 * slot);
            var distance = BitOperations.PopCount(w ^ query.W0) + BitOperations.PopCount(Unsafe.Add(ref w, 1) ^ query.W1)
                + BitOperations.PopCount(Unsafe.Add(ref w, 2) ^ query.W2) + BitOperations.PopCount(Unsafe.Add(ref w, 3) ^ query.W3);
            if (distance <= maxDistance && FirstChunkWithin(slot, query, radii) == candidates[i + 1]
                && !Tombstones.IsSet(Deleted, slot))
            {
                matches.Add(new PdqMatch(_ids[slot], HashAt(_words, slot), distance));
            }
        }
    }

    // A bit per posting of the eight (bit i for posting i): a posting, not Empty or an overflow offset (top bit clear),
    // whose sub-key differs from the query's in at most budget bits. The popcount is the usual SWAR one, per 32-bit lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ClosePostings(Vector256<uint> postings, uint wanted, uint subMask, int budget)
    {
        var x = (postings ^ Vector256.Create(wanted)) & Vector256.Create(subMask);
        x -= Vector256.ShiftRightLogical(x, 1) & Vector256.Create(0x5555_5555u);
        x = (x & Vector256.Create(0x3333_3333u)) + (Vector256.ShiftRightLogical(x, 2) & Vector256.Create(0x3333_3333u));
        x = (x + Vector256.ShiftRightLogical(x, 4)) & Vector256.Create(0x0F0F_0F0Fu);
        x = Vector256.ShiftRightLogical(x * Vector256.Create(0x0101_0101u), 24);
        var close = Vector256.LessThanOrEqual(x, Vector256.Create((uint)budget))
            & Vector256.Equals(postings & Vector256.Create(OverflowTag), Vector256<uint>.Zero);
        return close.ExtractMostSignificantBits();
    }

    private void ScanAll(PdqHash query, int maxDistance, List<PdqMatch> matches)
    {
        for (var slot = 0; slot < _ids.Length; slot++)
        {
            var distance = Distance(_words, slot, query);
            if (distance <= maxDistance && !Tombstones.IsSet(Deleted, slot))
            {
                matches.Add(new PdqMatch(_ids[slot], HashAt(_words, slot), distance));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch<T>(ref T location)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref location));
        }
    }

    // The chunk a query reaches this entry from first; reporting only from there removes duplicates.
    private int FirstChunkWithin(int slot, PdqHash query, ReadOnlySpan<int> radii)
    {
        for (var c = 0; c < _layout.Count; c++)
        {
            var stored = _layout.Extract(_words, slot, c);
            var wanted = _layout.Extract(query.W0, query.W1, query.W2, query.W3, c);
            if (ChunkLayout.Distance(stored, wanted) <= radii[c])
            {
                return c;
            }
        }

        return -1;
    }

    public static int Distance(ulong[] words, int slot, PdqHash query)
    {
        var w = words.AsSpan(4 * slot, 4);
        return BitOperations.PopCount(w[0] ^ query.W0) + BitOperations.PopCount(w[1] ^ query.W1)
            + BitOperations.PopCount(w[2] ^ query.W2) + BitOperations.PopCount(w[3] ^ query.W3);
    }

    public static PdqHash HashAt(ulong[] words, int slot) =>
        new(words[4 * slot], words[(4 * slot) + 1], words[(4 * slot) + 2], words[(4 * slot) + 3]);

    /// <summary>Per-thread buffers a query reuses, grown to the largest query seen on that thread.</summary>
    private sealed class QueryScratch
    {
        public int[] Probes = [];
        public int[] Candidates = [];

        public int[] Ints(ref int[] buffer, int length)
        {
            if (buffer.Length < length)
            {
                var grown = new int[Math.Max(length, 2 * buffer.Length)];
                buffer.CopyTo(grown, 0);
                buffer = grown;
            }

            return buffer;
        }
    }

    /// <summary>One building thread's arrays: the partitioned entries and three per-bucket counters.</summary>
    private sealed class BuildScratch(int n, int bucketCount)
    {
        public ulong[] Entries { get; } = GC.AllocateUninitializedArray<ulong>(n);

        public int[] Counts { get; } = new int[bucketCount];

        public int[] Fill { get; } = new int[bucketCount];

        public int[] OverflowBase { get; } = new int[bucketCount];
    }
}
