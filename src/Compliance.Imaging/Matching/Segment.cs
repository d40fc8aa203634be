using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// bucket holds about 2^<see cref="LayoutThresholds.EntriesPerBucketLog2"/> entries); each posting packs the entry's slot with the
/// chunk's remaining low bits (the sub-key), so a bucket's entries are filtered by a popcount of a few bits before any
/// of their hashes is read (ADR-024). The bucket starts are then a few megabytes per chunk instead of 2^24 entries.
/// </remarks>
internal sealed class Segment
{
    /// <summary>log2 of the entries a bucket aims to hold; tuned on 10M hashes at radius 31 (ADR-024).</summary>
    public const int DefaultEntriesPerBucketLog2 = 3;

    /// <summary>Segments at least this large build their chunk tables in parallel.</summary>
    private const int ParallelBuildThreshold = 1 << 18;

    /// <summary>The build's first level partitions a chunk's entries by at most this many top bits.</summary>
    private const int CoarseBits = 10;

    private readonly long[] _ids;
    private readonly ulong[] _words;
    private readonly ChunkLayout _layout;
    private readonly int _bucketBits;

    // Chunk c's bucket b holds the postings _postings[c·n + s[b] ..< c·n + s[b + 1]], where s is chunk c's run of
    // _starts beginning at c·(2^B + 1); a posting is (slot << _subBits[c]) | (the chunk value's low _subBits[c] bits).
    private readonly int[] _starts;
    private readonly uint[] _postings;
    private readonly int[] _subBits;

    [ThreadStatic]
    private static QueryScratch? t_scratch;

    private Segment(long[] ids, ulong[] words, ChunkLayout layout, int bucketBits, int[] starts, uint[] postings)
    {
        _ids = ids;
        _words = words;
        _layout = layout;
        _bucketBits = bucketBits;
        _starts = starts;
        _postings = postings;
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
    /// Builds the bucket tables by a counting sort per chunk (count, prefix-sum, place: two passes over the hashes and
    /// no per-entry objects), the chunks in parallel for large segments. <paramref name="ids"/> must be ascending and
    /// distinct; <paramref name="words"/> holds four words per entry.
    /// </summary>
    public static Segment Build(long[] ids, ulong[] words, LayoutThresholds thresholds)
    {
        var n = ids.Length;
        var layout = ChunkLayout.For(n, thresholds.Wide, thresholds.Widest);
        var bucketBits = BucketBits(layout, n, thresholds.EntriesPerBucketLog2);
        var stride = (1 << bucketBits) + 1;
        var starts = LargeArrays.AllocateUninitialized<int>(checked(layout.Count * stride));
        var postings = LargeArrays.AllocateUninitialized<uint>(checked(layout.Count * n));
        if (n >= ParallelBuildThreshold)
        {
            Parallel.For(
                0,
                layout.Count,
                () => GC.AllocateUninitializedArray<ulong>(n),
                (c, _, scratch) =>
                {
                    BuildChunk(c, scratch);
                    return scratch;
                },
                _ => { });
        }
        else
        {
            var scratch = GC.AllocateUninitializedArray<ulong>(n);
            for (var c = 0; c < layout.Count; c++)
            {
                BuildChunk(c, scratch);
            }
        }

        return new Segment(ids, words, layout, bucketBits, starts, postings);

        // A counting sort in two levels so that no pass writes at random into tables larger than a cache: first the
        // entries are partitioned by the bucket's top bits (at most 1,024 partitions, written sequentially), then each
        // partition, whose buckets are a narrow range, is counted and placed. Slots stay ascending within a bucket.
        void BuildChunk(int c, ulong[] scratch)
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

            for (var slot = 0; slot < n; slot++)
            {
                var value = layout.Extract(words, slot, c);
                scratch[coarse[value >> coarseShift]++] = ((ulong)(uint)value << 32) | (uint)slot;
            }

            var chunkStarts = starts.AsSpan(c * stride, stride);
            chunkStarts.Clear();
            foreach (var entry in scratch)
            {
                chunkStarts[(int)(entry >> 32 >> subBits) + 1]++;
            }

            for (var b = 1; b < stride; b++)
            {
                chunkStarts[b] += chunkStarts[b - 1];
            }

            var cursor = ArrayPool<int>.Shared.Rent(stride - 1);
            try
            {
                chunkStarts[..^1].CopyTo(cursor);
                var chunkPostings = postings.AsSpan(c * n, n);
                foreach (var entry in scratch)
                {
                    var value = (int)(entry >> 32);
                    chunkPostings[cursor[value >> subBits]++] = ((uint)entry << subBits) | (uint)(value & subMask);
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(cursor);
            }
        }
    }

    // B: about 2^entriesPerBucketLog2 entries per bucket, at most the narrowest chunk's width, and at least enough that
    // the widest chunk's sub-key fits beside a slot in 32 bits.
    private static int BucketBits(ChunkLayout layout, int n, int entriesPerBucketLog2)
    {
        var slotBits = n <= 2 ? 1 : 64 - BitOperations.LeadingZeroCount((ulong)(n - 1));
        var narrowest = layout.Width(layout.Count - 1);
        var widest = layout.Width(0);
        var bits = Math.Clamp(slotBits - entriesPerBucketLog2, 1, narrowest);
        return Math.Min(narrowest, Math.Max(bits, widest - (32 - slotBits)));
    }

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
    /// random in tables of hundreds of megabytes, so the work is done in four passes over every chunk at once, each
    /// prefetching what the next one reads: the bucket starts of every probe, then the postings of every non-empty
    /// bucket, then the hashes of every candidate whose sub-key is close enough, then the full distances (ADR-024).
    /// </summary>
    public unsafe void Query(PdqHash query, int maxDistance, List<PdqMatch> matches)
    {
        var n = _ids.Length;
        var chunks = _layout.Count;
        var radius = maxDistance / chunks;
        var masks = ChunkLayout.NeighbourMasks(_bucketBits, radius);
        var probeCount = (long)chunks * masks.Length;
        if (probeCount >= n)
        {
            // Probing would visit more buckets than there are entries (a very wide radius, or a small segment).
            ScanAll(query, maxDistance, matches);
            return;
        }

        var scratch = t_scratch ??= new QueryScratch();
        var probes = scratch.Ints(ref scratch.Probes, (int)probeCount);
        var stride = (1 << _bucketBits) + 1;
        Span<int> querySub = stackalloc int[chunks];
        ref var starts = ref MemoryMarshal.GetArrayDataReference(_starts);
        ref var postings = ref MemoryMarshal.GetArrayDataReference(_postings);
        ref var words = ref MemoryMarshal.GetArrayDataReference(_words);

        // 1. Every probe's bucket start, all chunks.
        var p = 0;
        for (var c = 0; c < chunks; c++)
        {
            var value = _layout.Extract(query.W0, query.W1, query.W2, query.W3, c);
            querySub[c] = value & ((1 << _subBits[c]) - 1);
            var chunkBase = c * stride;
            var bucket = value >> _subBits[c];
            foreach (var mask in masks)
            {
                var index = chunkBase + (bucket ^ mask);
                probes[p++] = index;
                Prefetch(ref Unsafe.Add(ref starts, index));
            }
        }

        // 2. The postings of every non-empty bucket, remembered as ranges; a range's budget is how many sub-key bits may
        //    still differ (the radius less the bits its probe mask flipped).
        var ranges = scratch.Ints(ref scratch.Ranges, 3 * (int)probeCount);
        var rangeCount = 0;
        var total = 0;
        p = 0;
        for (var c = 0; c < chunks; c++)
        {
            var postingsBase = c * n;
            foreach (var mask in masks)
            {
                var index = probes[p++];
                var lo = Unsafe.Add(ref starts, index);
                var hi = Unsafe.Add(ref starts, index + 1);
                if (hi == lo)
                {
                    continue;
                }

                ranges[rangeCount++] = postingsBase + lo;
                ranges[rangeCount++] = postingsBase + hi;
                ranges[rangeCount++] = (c << 8) | (radius - BitOperations.PopCount((uint)mask));
                total += hi - lo;
                Prefetch(ref Unsafe.Add(ref postings, postingsBase + lo));
                Prefetch(ref Unsafe.Add(ref postings, postingsBase + hi - 1));
            }
        }

        // 3. Candidates: postings whose sub-key is within the range's budget; their hashes are asked for now.
        var candidates = scratch.Ints(ref scratch.Candidates, 2 * total);
        var candidateCount = 0;
        for (var r = 0; r < rangeCount; r += 3)
        {
            var c = ranges[r + 2] >> 8;
            var budget = ranges[r + 2] & 0xFF;
            var subBits = _subBits[c];
            var subMask = (uint)((1 << subBits) - 1);
            var wanted = (uint)querySub[c];
            for (var i = ranges[r]; i < ranges[r + 1]; i++)
            {
                var posting = Unsafe.Add(ref postings, i);
                if (BitOperations.PopCount((posting ^ wanted) & subMask) <= budget)
                {
                    var slot = (int)(posting >> subBits);
                    candidates[candidateCount++] = slot;
                    candidates[candidateCount++] = c;
                    Prefetch(ref Unsafe.Add(ref words, 4 * slot));
                }
            }
        }

        // 4. Full distances. An entry close in several chunks is a candidate of each; it is reported only from the first.
        for (var i = 0; i < candidateCount; i += 2)
        {
            var slot = candidates[i];
            ref var w = ref Unsafe.Add(ref words, 4 * slot);
            var distance = BitOperations.PopCount(w ^ query.W0) + BitOperations.PopCount(Unsafe.Add(ref w, 1) ^ query.W1)
                + BitOperations.PopCount(Unsafe.Add(ref w, 2) ^ query.W2) + BitOperations.PopCount(Unsafe.Add(ref w, 3) ^ query.W3);
            if (distance <= maxDistance && FirstChunkWithin(slot, query, radius) == candidates[i + 1]
                && !Tombstones.IsSet(Deleted, slot))
            {
                matches.Add(new PdqMatch(_ids[slot], HashAt(_words, slot), distance));
            }
        }
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
    private int FirstChunkWithin(int slot, PdqHash query, int radius)
    {
        for (var c = 0; c < _layout.Count; c++)
        {
            var stored = _layout.Extract(_words, slot, c);
            var wanted = _layout.Extract(query.W0, query.W1, query.W2, query.W3, c);
            if (ChunkLayout.Distance(stored, wanted) <= radius)
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
        public int[] Ranges = [];
        public int[] Candidates = [];

        public int[] Ints(ref int[] buffer, int length)
        {
            if (buffer.Length < length)
            {
                buffer = new int[Math.Max(length, 2 * buffer.Length)];
            }

            return buffer;
        }
    }
}
