using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Matching;

/// <summary>
/// Multi-index hashing (Norouzi, Punjani and Fleet) over 256-bit PDQ hashes: each hash is cut into
/// m contiguous chunks, and every chunk value has a bucket of the entries that share it.
/// </summary>
/// <remarks>
/// <para><b>Why it is exact.</b> If a stored hash is within <c>d</c> bits of the query, the differing bits fall
/// in m chunks; give chunk c a radius <c>r_c</c> with Σ(r_c + 1) ≥ d + 1 and at least one chunk differs in at most its
/// r_c bits (pigeonhole; ⌊d/m⌋ for most chunks, one less for the narrowest where the sum allows, ADR-030). A query
/// therefore visits, in every chunk, the buckets of all values within r_c bits of the query's chunk,
/// checks each candidate's full distance (after a popcount of its in-bucket sub-key), and reports a match only from
/// the first chunk that would find
/// it, so nothing is missed or reported twice. Any d from 0 to 256 is answered exactly; the layouts are
/// tuned for PDQ's usual d ≤ 31: 16 chunks of 16 bits (17 probes per chunk) for segments under
/// <see cref="ChunkLayout.WideThreshold"/> entries, 12 chunks of 21–22 bits above it, and 11 chunks (six of 24 bits,
/// four of 23 at radius 2, one of 20 at radius 1) from <see cref="ChunkLayout.WidestThreshold"/> (ADR-021, ADR-030).</para>
/// <para><b>Layout.</b> Entries live in immutable segments of flat arrays: ids (sorted, for removal by binary
/// search), hashes as four <see cref="ulong"/>s each, and per chunk a table of buckets keyed by the chunk's top bits,
/// each bucket one 64-byte line of 16 postings that pack the slot with the chunk's remaining bits (6 to 12 entries
/// per bucket, 9.5 at 10M, so a probe is one random line; a fuller bucket continues in an overflow array) — about 115 bytes per
/// entry at 10M, on transparent huge pages where the kernel allows, and no per-entry objects (ADR-024, ADR-030). New entries
/// go to an append-only buffer that is scanned linearly and sealed into a segment when full; segments are
/// merged like a binary counter (a segment absorbs the next one when it is at most twice its size), so there
/// are O(log n) of them. <see cref="AddRange"/> builds one segment directly.</para>
/// <para><b>Concurrency.</b> Writers (<see cref="Add"/>, <see cref="AddRange"/>, <see cref="Remove"/>) take
/// one lock. Readers take no lock: a query reads one immutable snapshot (segment list, buffer and its count),
/// published with a volatile write after the data it covers is in place, so a query sees every add that
/// completed before it started. Removal sets a bit in the entry's tombstone bitmap with an interlocked OR;
/// a query sees it if it completed before the query started, and may or may not see it if they overlap.
/// Merges and compactions run on the writer's thread and are published by swapping the snapshot, so
/// readers never wait for them (a writer may: a merge of n entries costs O(n)).</para>
/// </remarks>
public sealed class PdqIndex : IPdqIndex
{
    /// <summary>Entries kept in the linearly scanned buffer before it is sealed into a segment.</summary>
    public const int DefaultBufferCapacity = 4096;

    private readonly Lock _writeLock = new();
    private readonly int _bufferCapacity;
    private readonly LayoutThresholds _thresholds;
    private readonly Dictionary<long, int> _bufferSlotById = [];
    private volatile Snapshot _snapshot;
    private int _count;

    /// <summary>Creates an empty index.</summary>
    public PdqIndex(int bufferCapacity = DefaultBufferCapacity)
        : this(bufferCapacity, ChunkLayout.WideThreshold, ChunkLayout.WidestThreshold)
    {
    }

    /// <summary>Lets tests exercise the wide and widest chunk layouts and other bucket sizes on small data.</summary>
    internal PdqIndex(
        int bufferCapacity,
        int wideLayoutThreshold,
        int widestLayoutThreshold = ChunkLayout.WidestThreshold,
        int entriesPerBucketLog2 = Segment.DefaultEntriesPerBucketLog2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferCapacity);
        ArgumentOutOfRangeException.ThrowIfNegative(entriesPerBucketLog2);
        _bufferCapacity = bufferCapacity;
        _thresholds = new LayoutThresholds(wideLayoutThreshold, widestLayoutThreshold, entriesPerBucketLog2);
        _snapshot = new Snapshot([], new AppendBuffer(bufferCapacity), 0);
    }

    /// <inheritdoc/>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Number of sealed segments (for diagnostics and tests).</summary>
    public int SegmentCount => _snapshot.Segments.Length;

    /// <inheritdoc/>
    public void Add(long id, PdqHash hash)
    {
        lock (_writeLock)
        {
            var snapshot = _snapshot;
            if (ContainsLive(snapshot, id))
            {
                throw new ArgumentException($"Id {id} is already in the index.", nameof(id));
            }

            if (snapshot.BufferCount == snapshot.Buffer.Capacity)
            {
                snapshot = SealBuffer(snapshot);
            }

            var slot = snapshot.BufferCount;
            snapshot.Buffer.Ids[slot] = id;
            LinearScanIndex.Write(snapshot.Buffer.Words, slot, hash);
            _bufferSlotById[id] = slot;
            _snapshot = snapshot with { BufferCount = slot + 1 };
            Volatile.Write(ref _count, _count + 1);
        }
    }

    /// <summary>Adds many entries at once, building one segment (much faster than repeated <see cref="Add"/>).</summary>
    /// <exception cref="ArgumentException">The spans differ in length, an id repeats, or an id is already present.</exception>
    public void AddRange(ReadOnlySpan<long> ids, ReadOnlySpan<PdqHash> hashes)
    {
        if (ids.Length != hashes.Length)
        {
            throw new ArgumentException("Every id needs exactly one hash.", nameof(hashes));
        }

        if (ids.IsEmpty)
        {
            return;
        }

        // Bulk loads usually come in id order (a table read by its key): then no sort and no permutation are needed.
        var sortedIds = ids.ToArray();
        var words = LargeArrays.AllocateUninitialized<ulong>(checked(4 * ids.Length));
        if (IsAscending(sortedIds))
        {
            for (var i = 0; i < sortedIds.Length; i++)
            {
                LinearScanIndex.Write(words, i, hashes[i]);
            }
        }
        else
        {
            var order = new int[ids.Length];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            Array.Sort(sortedIds, order);
            for (var i = 0; i < order.Length; i++)
            {
                if (i > 0 && sortedIds[i] == sortedIds[i - 1])
                {
                    throw new ArgumentException($"Id {sortedIds[i]} appears more than once.", nameof(ids));
                }

                LinearScanIndex.Write(words, i, hashes[order[i]]);
            }
        }

        var segment = Segment.Build(sortedIds, words, _thresholds);
        lock (_writeLock)
        {
            var snapshot = _snapshot;
            foreach (var id in sortedIds)
            {
                if (ContainsLive(snapshot, id))
                {
                    throw new ArgumentException($"Id {id} is already in the index.", nameof(ids));
                }
            }

            _snapshot = snapshot with { Segments = AppendAndMerge(snapshot.Segments, segment, _thresholds) };
            Volatile.Write(ref _count, _count + sortedIds.Length);
        }
    }

    /// <inheritdoc/>
    public bool Remove(long id)
    {
        lock (_writeLock)
        {
            var snapshot = _snapshot;
            if (_bufferSlotById.Remove(id, out var bufferSlot))
            {
                Tombstones.Set(snapshot.Buffer.Deleted, bufferSlot);
                Volatile.Write(ref _count, _count - 1);
                return true;
            }

            var segments = snapshot.Segments;
            for (var s = 0; s < segments.Length; s++)
            {
                var slot = segments[s].FindLive(id);
                if (slot < 0)
                {
                    continue;
                }

                var segment = segments[s];
                Tombstones.Set(segment.Deleted, slot);
                segment.LiveCount--;
                Volatile.Write(ref _count, _count - 1);
                if (segment.LiveCount * 2 < segment.Count && segment.Count >= _bufferCapacity)
                {
                    // Mostly tombstones: rebuild so queries stop paying for dead candidates.
                    var compacted = (Segment[])segments.Clone();
                    compacted[s] = Segment.Merge(segment, null, _thresholds);
                    _snapshot = snapshot with { Segments = Array.FindAll(compacted, x => x.Count > 0) };
                }

                return true;
            }

            return false;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<PdqMatch> Query(PdqHash query, int maxDistance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        var snapshot = _snapshot;
        var matches = new List<PdqMatch>();
        foreach (var segment in snapshot.Segments)
        {
            segment.Query(query, maxDistance, matches);
        }

        var buffer = snapshot.Buffer;
        for (var slot = 0; slot < snapshot.BufferCount; slot++)
        {
            var distance = Segment.Distance(buffer.Words, slot, query);
            if (distance <= maxDistance && !Tombstones.IsSet(buffer.Deleted, slot))
            {
                matches.Add(new PdqMatch(buffer.Ids[slot], Segment.HashAt(buffer.Words, slot), distance));
            }
        }

        matches.Sort(PdqMatchOrder.Instance);
        return matches;
    }

    private static bool IsAscending(long[] ids)
    {
        for (var i = 1; i < ids.Length; i++)
        {
            if (ids[i] <= ids[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    private bool ContainsLive(Snapshot snapshot, long id)
    {
        if (_bufferSlotById.ContainsKey(id))
        {
            return true;
        }

        foreach (var segment in snapshot.Segments)
        {
            if (segment.FindLive(id) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private Snapshot SealBuffer(Snapshot snapshot)
    {
        var buffer = snapshot.Buffer;
        var live = _bufferSlotById.Count;
        var segments = snapshot.Segments;
        if (live > 0)
        {
            var ids = new long[live];
            var slots = new int[live];
            var i = 0;
            foreach (var (id, slot) in _bufferSlotById)
            {
                ids[i] = id;
                slots[i++] = slot;
            }

            Array.Sort(ids, slots);
            var words = new ulong[4 * live];
            for (i = 0; i < live; i++)
            {
                buffer.Words.AsSpan(4 * slots[i], 4).CopyTo(words.AsSpan(4 * i, 4));
            }

            segments = AppendAndMerge(segments, Segment.Build(ids, words, _thresholds), _thresholds);
        }

        _bufferSlotById.Clear();
        return new Snapshot(segments, new AppendBuffer(_bufferCapacity), 0);
    }

    private static Segment[] AppendAndMerge(Segment[] segments, Segment added, LayoutThresholds thresholds)
    {
        var list = new List<Segment>(segments) { added };
        while (list.Count >= 2 && list[^2].LiveCount <= 2 * list[^1].LiveCount)
        {
            var merged = Segment.Merge(list[^2], list[^1], thresholds);
            list.RemoveRange(list.Count - 2, 2);
            list.Add(merged);
        }

        return [.. list];
    }

    private sealed record Snapshot(Segment[] Segments, AppendBuffer Buffer, int BufferCount);

    private sealed class AppendBuffer(int capacity)
    {
        public int Capacity { get; } = capacity;

        public long[] Ids { get; } = new long[capacity];

        public ulong[] Words { get; } = new ulong[4 * capacity];

        public long[] Deleted { get; } = new long[(capacity + 63) / 64];
    }
}

/// <summary>A tombstone bitmap: set with an interlocked OR so concurrent readers see whole words.</summary>
internal static class Tombstones
{
    public static void Set(long[] bits, int slot) => Interlocked.Or(ref bits[slot >> 6], 1L << (slot & 63));

    public static bool IsSet(long[] bits, int slot) => ((Volatile.Read(ref bits[slot >> 6]) >> (slot & 63)) & 1) != 0;
}
