using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Matching;

/// <summary>Segment sizes from which the wide and the widest chunk layouts are used.</summary>
internal readonly record struct LayoutThresholds(int Wide, int Widest)
{
    public static LayoutThresholds Default => new(ChunkLayout.WideThreshold, ChunkLayout.WidestThreshold);
}

/// <summary>
/// An immutable block of entries with one bucket table per chunk (see <see cref="ChunkLayout"/>); only
/// the tombstone bitmap and the writer's live count change after construction.
/// </summary>
internal sealed class Segment
{
    private readonly long[] _ids;
    private readonly ulong[] _words;
    private readonly ChunkLayout _layout;

    // Chunk c's bucket v holds the slots _postings[c·n + s[v] ..< c·n + s[v + 1]], where s is chunk c's
    // run of _starts beginning at _layout.StartsBase(c).
    private readonly int[] _starts;
    private readonly int[] _postings;

    private Segment(long[] ids, ulong[] words, ChunkLayout layout, int[] starts, int[] postings)
    {
        _ids = ids;
        _words = words;
        _layout = layout;
        _starts = starts;
        _postings = postings;
        Deleted = new long[(ids.Length + 63) / 64];
        LiveCount = ids.Length;
    }

    public int Count => _ids.Length;

    /// <summary>Entries not removed; read and written only under the index's writer lock.</summary>
    public int LiveCount { get; set; }

    public long[] Deleted { get; }

    /// <summary>Builds the bucket tables. <paramref name="ids"/> must be ascending and distinct.</summary>
    public static Segment Build(long[] ids, ulong[] words, LayoutThresholds thresholds)
    {
        var n = ids.Length;
        var layout = ChunkLayout.For(n, thresholds.Wide, thresholds.Widest);
        var starts = new int[layout.StartsLength];
        var postings = new int[checked(layout.Count * n)];
        var chunkValues = new int[n];
        var cursor = new int[1 << layout.Width(0)]; // chunk 0 is among the widest
        for (var c = 0; c < layout.Count; c++)
        {
            var buckets = 1 << layout.Width(c);
            var chunkStarts = starts.AsSpan(layout.StartsBase(c), buckets + 1);
            for (var slot = 0; slot < n; slot++)
            {
                var value = layout.Extract(words, slot, c);
                chunkValues[slot] = value;
                chunkStarts[value + 1]++;
            }

            for (var v = 1; v <= buckets; v++)
            {
                chunkStarts[v] += chunkStarts[v - 1];
            }

            // Counting sort of slots by chunk value; slots stay ascending within a bucket.
            chunkStarts[..buckets].CopyTo(cursor);
            var chunkPostings = postings.AsSpan(c * n, n);
            for (var slot = 0; slot < n; slot++)
            {
                chunkPostings[cursor[chunkValues[slot]]++] = slot;
            }
        }

        return new Segment(ids, words, layout, starts, postings);
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

    public unsafe void Query(PdqHash query, int maxDistance, List<PdqMatch> matches)
    {
        var n = _ids.Length;
        var radius = maxDistance / _layout.Count;
        int[]? candidates = null;
        try
        {
            for (var c = 0; c < _layout.Count; c++)
            {
                var width = _layout.Width(c);
                var masks = ChunkLayout.NeighbourMasks(width, radius);
                var queryChunk = _layout.Extract(query.W0, query.W1, query.W2, query.W3, c);
                var chunkStarts = _starts.AsSpan(_layout.StartsBase(c), (1 << width) + 1);
                var chunkPostings = _postings.AsSpan(c * n, n);

                // The probes land at random in a table of megabytes: ask for every one of their bucket starts before
                // reading any, so the misses overlap instead of queueing one behind the other.
                if (Sse.IsSupported)
                {
                    ref var startsBase = ref MemoryMarshal.GetReference(chunkStarts);
                    foreach (var mask in masks)
                    {
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref startsBase, queryChunk ^ mask)));
                    }
                }

                // Gather this chunk's candidates first so prefetching runs across bucket boundaries.
                var total = 0;
                foreach (var mask in masks)
                {
                    var value = queryChunk ^ mask;
                    total += chunkStarts[value + 1] - chunkStarts[value];
                }

                if (candidates is null || candidates.Length < total)
                {
                    if (candidates is not null)
                    {
                        ArrayPool<int>.Shared.Return(candidates);
                    }

                    candidates = ArrayPool<int>.Shared.Rent(Math.Max(total, 1024));
                }

                var filled = 0;
                foreach (var mask in masks)
                {
                    var value = queryChunk ^ mask;
                    var bucket = chunkPostings[chunkStarts[value]..chunkStarts[value + 1]];
                    bucket.CopyTo(candidates.AsSpan(filled));
                    filled += bucket.Length;
                }

                ScanCandidates(candidates.AsSpan(0, total), c, query, maxDistance, radius, matches);
            }
        }
        finally
        {
            if (candidates is not null)
            {
                ArrayPool<int>.Shared.Return(candidates);
            }
        }
    }

    // Candidates sit at random places in a large array, so the scan is bound by memory latency: prefetching
    // a few candidates ahead lets those misses overlap.
    private const int PrefetchDistance = 16;

    private unsafe void ScanCandidates(ReadOnlySpan<int> bucket, int chunk, PdqHash query, int maxDistance, int radius, List<PdqMatch> matches)
    {
        ref var words = ref MemoryMarshal.GetArrayDataReference(_words);
        if (Sse.IsSupported)
        {
            for (var p = 0; p < Math.Min(PrefetchDistance, bucket.Length); p++)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref words, 4 * bucket[p])));
            }
        }

        for (var p = 0; p < bucket.Length; p++)
        {
            if (Sse.IsSupported && p + PrefetchDistance < bucket.Length)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref words, 4 * bucket[p + PrefetchDistance])));
            }

            var slot = bucket[p];
            ref var w = ref Unsafe.Add(ref words, 4 * slot);
            var distance = BitOperations.PopCount(w ^ query.W0) + BitOperations.PopCount(Unsafe.Add(ref w, 1) ^ query.W1)
                + BitOperations.PopCount(Unsafe.Add(ref w, 2) ^ query.W2) + BitOperations.PopCount(Unsafe.Add(ref w, 3) ^ query.W3);
            if (distance <= maxDistance && FirstChunkWithin(slot, query, radius) == chunk
                && !Tombstones.IsSet(Deleted, slot))
            {
                matches.Add(new PdqMatch(_ids[slot], HashAt(_words, slot), distance));
            }
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
}
