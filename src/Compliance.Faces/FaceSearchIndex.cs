using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Compliance.Imaging.Embedding;

namespace Compliance.Faces;

/// <summary>How <see cref="FaceSearchIndex"/> searches once a bank is large.</summary>
public sealed record FaceSearchOptions
{
    /// <summary>
    /// From this many faces on, a search probes an inverted file (IVF) of 1-bit rows instead of scanning every float row.
    /// Below it the exact scan is fast enough (≈ 2 ms at 20,000 faces on an idle core, from the 0.1 µs per face the exact
    /// scan measured idle on 2026-11-25; the crossover was not measured quietly) and needs no training.
    /// </summary>
    public int ApproximateFrom { get; init; } = 20_000;

    /// <summary>Coarse lists (k-means cells); 0 picks about √N at each rebuild.</summary>
    public int Lists { get; init; }

    /// <summary>
    /// Share of the lists a query scans (the closest cells to it; at least 8): more lists, higher recall, more time.
    /// 0.1 kept every decision of the measured runs (ADR-026).
    /// </summary>
    public double ProbedShare { get; init; } = 0.1;

    /// <summary>
    /// Rows of the probed lists, nearest to the query in the Hamming distance of their first 128 bits (a quarter of each
    /// row, stored apart from the rest so that this first pass reads 16 B per row), whose full 512-bit distance is taken.
    /// </summary>
    public int PrefilterCandidates { get; init; } = 2048;

    /// <summary>Candidates, nearest in full Hamming distance, that are re-scored with the exact float cosine.</summary>
    public int RerankCandidates { get; init; } = 64;

    /// <summary>Lloyd iterations of the spherical k-means that places the lists.</summary>
    public int TrainingIterations { get; init; } = 8;

    /// <summary>Training points per list (a deterministic sample of the bank).</summary>
    public int TrainingPointsPerList { get; init; } = 48;
}

/// <summary>
/// The enrolled faces' embeddings, searched by cosine. Every face keeps its float row, so every reported cosine is exact.
/// A small bank is scanned whole, as <see cref="EmbeddingIndex"/> does. A large one (from
/// <see cref="FaceSearchOptions.ApproximateFrom"/>) is split into k-means cells (an inverted file) whose members are
/// also stored as one sign bit per dimension about the bank's mean (64 B at 512 dimensions): a query scans only the
/// <see cref="FaceSearchOptions.ProbedShare"/> of the cells nearest to it, in two passes by Hamming distance (popcount):
/// the first reads every probed row's first 128 bits (stored apart, 16 B a row), the second the whole row of the
/// <see cref="FaceSearchOptions.PrefilterCandidates"/> nearest; the <see cref="FaceSearchOptions.RerankCandidates"/> nearest
/// by the whole row are re-scored with the float rows. Both cuts come from counting distances, not from a heap, and the
/// working arrays are reused per thread. A face in a cell that was not probed, or cut by a pass, is missed, so the answer
/// is approximate: bench/Compliance.Faces.Bench measures its recall against <see cref="ExactTopK"/>; ADR-026 says why
/// 1-bit rows rather than int8, ADR-029 why two passes and these defaults.
/// Memory: 2,048 B float + 64 B of bits + 20 B of bookkeeping per face, plus the lookup by id.
/// </summary>
/// <remarks>
/// Thread-safe: searches share a read lock; <see cref="Add"/> and <see cref="Remove"/> take the write lock. A rebuild
/// (k-means over a sample, then every row assigned; minutes at a million faces on a loaded 2-core machine) runs beside
/// the searches, which use the old lists (or the exact scan) until the new ones are swapped in; adds and removals wait
/// for it. The owner calls <see cref="RebuildIfDue"/> after loading a batch rather than on every add.
/// </remarks>
public sealed class FaceSearchIndex : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly FaceSearchOptions _options;
    private readonly Dictionary<long, int> _slotOfId = [];
    private float[] _vectors;
    private long[] _ids;
    private int[] _listOf;
    private int[] _positionOf;
    private int _count;
    private readonly int _words;
    private readonly int _headWords;
    private float[]? _centroids;
    private float[]? _mean;
    private PostingList[] _lists = [];
    private int _trainedCount;

    /// <summary>An empty index of <paramref name="dimension"/>-long vectors (a multiple of 64 for the SIMD scan).</summary>
    public FaceSearchIndex(int dimension = 512, FaceSearchOptions? options = null, int initialCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (dimension % 64 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be a multiple of 64.");
        }

        _options = options ?? new FaceSearchOptions();
        if (!(_options.ProbedShare > 0 && _options.ProbedShare <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.ProbedShare, "ProbedShare must be above 0 and at most 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.RerankCandidates);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.PrefilterCandidates);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.ApproximateFrom);
        Dimension = dimension;
        _words = dimension / 64;
        _headWords = Math.Min(2, _words);
        var capacity = Math.Max(initialCapacity, 16);
        _vectors = new float[checked(capacity * dimension)];
        _ids = new long[capacity];
        _listOf = new int[capacity];
        _positionOf = new int[capacity];
    }

    /// <summary>Length of every stored vector.</summary>
    public int Dimension { get; }

    /// <summary>Number of stored faces.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Whether searches currently probe the inverted file (false: every row is scanned exactly).</summary>
    public bool IsApproximate
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return UsesLists;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Coarse lists of the last rebuild (0 before the first).</summary>
    public int ListCount => _lists.Length;

    /// <summary>Lists a query scans, when set (the bench varies it on one built index); otherwise from <see cref="FaceSearchOptions.ProbedShare"/>.</summary>
    internal int? ProbedLists { get; set; }

    /// <summary>Rows given a full Hamming distance, when set (the bench); otherwise <see cref="FaceSearchOptions.PrefilterCandidates"/>.</summary>
    internal int? PrefilterOverride { get; set; }

    /// <summary>Rows re-scored in float, when set (the bench); otherwise <see cref="FaceSearchOptions.RerankCandidates"/>.</summary>
    internal int? RerankOverride { get; set; }

    private bool UsesLists => _centroids is not null && _count >= _options.ApproximateFrom;

    /// <summary>Stores one embedding under an id that is not already present.</summary>
    /// <exception cref="ArgumentException">The id is present, the length is wrong, or the vector is all zeros or not finite.</exception>
    public void Add(long id, ReadOnlySpan<float> embedding)
    {
        var row = Normalised(embedding);
        _lock.EnterWriteLock();
        try
        {
            if (_slotOfId.ContainsKey(id))
            {
                throw new ArgumentException($"Id {id} is already in the index.", nameof(id));
            }

            if (_count == _ids.Length)
            {
                var capacity = checked(_ids.Length * 2);
                Array.Resize(ref _vectors, checked(capacity * Dimension));
                Array.Resize(ref _ids, capacity);
                Array.Resize(ref _listOf, capacity);
                Array.Resize(ref _positionOf, capacity);
            }

            var slot = _count++;
            row.CopyTo(Vector(slot));
            _ids[slot] = id;
            _slotOfId.Add(id, slot);
            if (_centroids is not null)
            {
                Append(Nearest(_centroids, row), slot);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes the face with this id; false if there is none.</summary>
    public bool Remove(long id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_slotOfId.Remove(id, out var slot))
            {
                return false;
            }

            if (_centroids is not null)
            {
                var list = _lists[_listOf[slot]];
                var moved = list.RemoveAt(_positionOf[slot]);
                if (moved >= 0)
                {
                    _positionOf[moved] = _positionOf[slot];
                }
            }

            var last = --_count;
            if (slot != last)
            {
                Vector(last).CopyTo(Vector(slot));
                _ids[slot] = _ids[last];
                _slotOfId[_ids[slot]] = slot;
                if (_centroids is not null)
                {
                    (_listOf[slot], _positionOf[slot]) = (_listOf[last], _positionOf[last]);
                    _lists[_listOf[slot]].Slots[_positionOf[slot]] = slot;
                }
            }

            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Whether the lists are missing or stale for the bank's size (it crossed <see cref="FaceSearchOptions.ApproximateFrom"/>,
    /// or doubled or halved since the last rebuild); if so, rebuilds them. Returns whether it rebuilt.
    /// </summary>
    public bool RebuildIfDue()
    {
        bool due;
        _lock.EnterReadLock();
        try
        {
            due = _count >= _options.ApproximateFrom
                && (_centroids is null || _count >= 2 * _trainedCount || _count <= _trainedCount / 2);
        }
        finally
        {
            _lock.ExitReadLock();
        }

        if (due)
        {
            Rebuild();
        }

        return due;
    }

    /// <summary>Places the lists with spherical k-means over a deterministic sample and assigns every face to its nearest list.</summary>
    public void Rebuild()
    {
        // Upgradeable read: searches go on over the old lists (or the exact scan) while the new ones are built; only
        // Add and Remove wait, and the one writer (the face bank's refresh) is the caller. The write lock is held only
        // to swap the lists in. Slots do not move meanwhile, and searches never read _listOf or _positionOf.
        _lock.EnterUpgradeableReadLock();
        try
        {
            if (_count == 0)
            {
                Swap(null, null, [], 0);
                return;
            }

            var lists = _options.Lists > 0 ? _options.Lists : (int)Math.Clamp(Math.Round(Math.Sqrt(_count)), 1, 65_536);
            lists = Math.Min(lists, _count);
            var mean = new float[Dimension];
            for (var slot = 0; slot < _count; slot++)
            {
                TensorPrimitives.Add(mean, Vector(slot), mean);
            }

            TensorPrimitives.Divide(mean, _count, mean);
            var centroids = Train(lists);

            // Assigning a million rows to a thousand cells by float dot products takes minutes on two cores; the cells'
            // sign bits pick a shortlist per row first, and the float dot decides within it.
            var centroidBits = new ulong[lists * _words];
            for (var list = 0; list < lists; list++)
            {
                SignBits(centroids.AsSpan(list * Dimension, Dimension), mean, centroidBits.AsSpan(list * _words, _words));
            }

            var nearest = new int[_count];
            Parallel.For(0, _count, () => (new ulong[_words], new PriorityQueue<int, int>(AssignmentShortlist + 1)), (slot, _, scratch) =>
            {
                nearest[slot] = NearestByShortlist(centroids, centroidBits, mean, Vector(slot), scratch.Item1, scratch.Item2);
                return scratch;
            }, _ => { });

            var sizes = new int[lists];
            foreach (var list in nearest)
            {
                sizes[list]++;
            }

            var built = sizes.Select(size => new PostingList(_words, _headWords, size)).ToArray();
            var rowBits = new ulong[_words];
            for (var slot = 0; slot < _count; slot++)
            {
                _listOf[slot] = nearest[slot];
                _positionOf[slot] = built[nearest[slot]].Add(slot, Vector(slot), mean, rowBits);
            }

            Swap(centroids, mean, built, _count);
        }
        finally
        {
            _lock.ExitUpgradeableReadLock();
        }
    }

    /// <summary>
    /// The at most <paramref name="k"/> faces most similar to <paramref name="query"/> with a cosine of at least
    /// <paramref name="minCosine"/>, best first (ties by id). Cosines are exact; which faces were considered is exact
    /// below <see cref="FaceSearchOptions.ApproximateFrom"/> and approximate above it.
    /// </summary>
    public IReadOnlyList<EmbeddingMatch> TopK(ReadOnlySpan<float> query, int k, float minCosine = -1f) =>
        Search(query, k, minCosine, exact: false);

    private IReadOnlyList<EmbeddingMatch> Search(ReadOnlySpan<float> query, int k, float minCosine, bool exact)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var normalised = Normalised(query);
        if (k == 0)
        {
            return [];
        }

        _lock.EnterReadLock();
        try
        {
            return UsesLists && !exact ? SearchLists(normalised, k, minCosine) : Scan(normalised, k, minCosine);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The exact answer whatever the bank's size: every float row scanned. The baseline the approximate search is measured against.</summary>
    public IReadOnlyList<EmbeddingMatch> ExactTopK(ReadOnlySpan<float> query, int k, float minCosine = -1f) =>
        Search(query, k, minCosine, exact: true);

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    private Span<float> Vector(int slot) => _vectors.AsSpan(slot * Dimension, Dimension);

    private IReadOnlyList<EmbeddingMatch> Scan(float[] query, int k, float minCosine)
    {
        var best = new TopMatches(k);
        for (var slot = 0; slot < _count; slot++)
        {
            var cosine = TensorPrimitives.Dot(query, Vector(slot));
            if (cosine >= minCosine)
            {
                best.Offer(_ids[slot], cosine);
            }
        }

        return best.ToArray();
    }

    private IReadOnlyList<EmbeddingMatch> SearchLists(float[] query, int k, float minCosine)
    {
        var centroids = _centroids!;
        var lists = _lists.Length;
        var probes = Math.Min(ProbedLists ?? Math.Max(8, (int)Math.Ceiling(_options.ProbedShare * lists)), lists);
        var rerank = Math.Max(k, RerankOverride ?? _options.RerankCandidates);
        var prefilter = Math.Max(rerank, PrefilterOverride ?? _options.PrefilterCandidates);
        var scratch = SearchScratch.For(lists, _words);

        // The closest cells: one dot product per centroid, then a sort of the cell numbers by closeness.
        var keys = scratch.Keys.AsSpan(0, lists);
        var order = scratch.Order.AsSpan(0, lists);
        for (var list = 0; list < lists; list++)
        {
            keys[list] = -TensorPrimitives.Dot(query, centroids.AsSpan(list * Dimension, Dimension));
            order[list] = list;
        }

        keys.Sort(order);
        order = order[..probes];

        // The query's sign bits about the bank's mean.
        var bits = scratch.QueryBits;
        SignBits(query, _mean!, bits);

        // Pass 1 reads only each row's head (its first 128 bits, 16 B) and writes its distance to a byte array, padded
        // to whole vectors with distances no row can have.
        var scanned = 0;
        foreach (var list in order)
        {
            scanned += _lists[list].Count;
        }

        var padded = (scanned + 15) & ~15;
        var headDistances = scratch.HeadDistances(padded);
        headDistances[scanned..].Fill(byte.MaxValue);
        var row = 0;
        var (q0, q1) = (bits[0], _headWords > 1 ? bits[1] : 0UL);
        foreach (var list in order)
        {
            var heads = _lists[list].Heads;
            var count = _lists[list].Count;
            if (_headWords == 2)
            {
                for (var i = 0; i < count; i++)
                {
                    headDistances[row++] = (byte)(BitOperations.PopCount(q0 ^ heads[2 * i]) + BitOperations.PopCount(q1 ^ heads[(2 * i) + 1]));
                }
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    headDistances[row++] = (byte)BitOperations.PopCount(q0 ^ heads[i]);
                }
            }
        }

        // The distance within which the `prefilter` nearest heads lie, by counting (vector compares over the byte array),
        // then pass 2: the full distance of the rows within it, found 16 at a time (ties at the cut kept in scan order,
        // so the answer is deterministic), with a histogram for the re-rank's cut.
        var (headCut, atHeadCut) = scanned < prefilter ? (_headWords * 64, int.MaxValue) : CutByCount(headDistances, prefilter, _headWords * 64);
        var candidateSlots = scratch.CandidateSlots(prefilter);
        var candidateDistances = scratch.CandidateDistances(prefilter);
        var fullHistogram = scratch.FullHistogram;
        Array.Clear(fullHistogram);
        var candidates = 0;
        var tailWords = _words - _headWords;
        var tailBits = bits.AsSpan(_headWords);
        var threshold = Vector128.Create((byte)headCut);
        var (listIndex, listStart, listEnd) = (0, 0, _lists[order[0]].Count);
        for (var block = 0; block < padded; block += 16)
        {
            var within = Vector128.LessThanOrEqual(Vector128.Create(headDistances.Slice(block, 16)), threshold).ExtractMostSignificantBits();
            while (within != 0)
            {
                row = block + BitOperations.TrailingZeroCount(within);
                within &= within - 1;
                var head = headDistances[row];
                if (head == headCut && atHeadCut-- <= 0)
                {
                    continue;
                }

                while (row >= listEnd)
                {
                    listStart = listEnd;
                    listEnd += _lists[order[++listIndex]].Count;
                }

                var posting = _lists[order[listIndex]];
                var i = row - listStart;
                var distance = head + Hamming(tailBits, posting.Tails.AsSpan(i * tailWords, tailWords));
                candidateSlots[candidates] = posting.Slots[i];
                candidateDistances[candidates++] = (ushort)distance;
                fullHistogram[distance]++;
            }
        }

        // The `rerank` nearest by full distance are scored with their float rows: every reported cosine is exact.
        var (cut, atCut) = Cut(fullHistogram, rerank);
        var best = new TopMatches(k);
        for (var i = 0; i < candidates; i++)
        {
            var distance = candidateDistances[i];
            if (distance > cut || (distance == cut && atCut-- <= 0))
            {
                continue;
            }

            var slot = candidateSlots[i];
            var cosine = TensorPrimitives.Dot(query, Vector(slot));
            if (cosine >= minCosine)
            {
                best.Offer(_ids[slot], cosine);
            }
        }

        return best.ToArray();
    }

    /// <summary>
    /// The smallest distance within which at least <paramref name="wanted"/> of <paramref name="distances"/> lie (a binary
    /// search over counts), and how many rows exactly at it may still be taken.
    /// </summary>
    private static (int Cut, int AtCut) CutByCount(ReadOnlySpan<byte> distances, int wanted, int maxDistance)
    {
        var (low, high) = (0, maxDistance);
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (CountWithin(distances, middle) >= wanted)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return (low, wanted - (low == 0 ? 0 : CountWithin(distances, low - 1)));
    }

    /// <summary>How many of <paramref name="distances"/> (a whole number of 16-byte vectors) are at most <paramref name="limit"/>.</summary>
    private static int CountWithin(ReadOnlySpan<byte> distances, int limit)
    {
        var threshold = Vector128.Create((byte)limit);
        var count = 0;
        for (var i = 0; i < distances.Length; i += 16)
        {
            count += BitOperations.PopCount(Vector128.LessThanOrEqual(Vector128.Create(distances.Slice(i, 16)), threshold).ExtractMostSignificantBits());
        }

        return count;
    }

    /// <summary>
    /// The distance at or below which the <paramref name="wanted"/> nearest rows lie, and how many rows exactly at it
    /// may still be taken; every row when there are fewer.
    /// </summary>
    private static (int Cut, int AtCut) Cut(ReadOnlySpan<int> histogram, int wanted)
    {
        var below = 0;
        for (var distance = 0; distance < histogram.Length; distance++)
        {
            if (below + histogram[distance] >= wanted)
            {
                return (distance, wanted - below);
            }

            below += histogram[distance];
        }

        return (histogram.Length - 1, int.MaxValue);
    }

    private float[] Train(int lists)
    {
        // A deterministic, evenly spread sample; the first centroids are evenly spread members of it.
        var sampleSize = (int)Math.Min(_count, (long)lists * _options.TrainingPointsPerList);
        var sample = new int[sampleSize];
        for (var i = 0; i < sampleSize; i++)
        {
            sample[i] = (int)((long)i * _count / sampleSize);
        }

        var centroids = new float[lists * Dimension];
        for (var list = 0; list < lists; list++)
        {
            Vector(sample[(int)((long)list * sampleSize / lists)]).CopyTo(centroids.AsSpan(list * Dimension, Dimension));
        }

        var assignment = new int[sampleSize];
        for (var iteration = 0; iteration < _options.TrainingIterations; iteration++)
        {
            Parallel.For(0, sampleSize, i => assignment[i] = Nearest(centroids, Vector(sample[i])));
            var sums = new float[lists * Dimension];
            var members = new int[lists];
            for (var i = 0; i < sampleSize; i++)
            {
                var sum = sums.AsSpan(assignment[i] * Dimension, Dimension);
                TensorPrimitives.Add(sum, Vector(sample[i]), sum);
                members[assignment[i]]++;
            }

            for (var list = 0; list < lists; list++)
            {
                var centroid = centroids.AsSpan(list * Dimension, Dimension);
                if (members[list] == 0)
                {
                    // An empty cell moves onto a sample point (deterministically chosen) rather than staying useless.
                    Vector(sample[(int)(((long)list * 7919 + iteration) % sampleSize)]).CopyTo(centroid);
                    continue;
                }

                sums.AsSpan(list * Dimension, Dimension).CopyTo(centroid);
                FaceVectors.Normalize(centroid);
            }
        }

        return centroids;
    }

    private int Nearest(float[] centroids, ReadOnlySpan<float> row)
    {
        var best = 0;
        var bestDot = float.NegativeInfinity;
        for (var list = 0; list * Dimension < centroids.Length; list++)
        {
            var dot = TensorPrimitives.Dot(row, centroids.AsSpan(list * Dimension, Dimension));
            if (dot > bestDot)
            {
                (best, bestDot) = (list, dot);
            }
        }

        return best;
    }

    private void Swap(float[]? centroids, float[]? mean, PostingList[] lists, int trainedCount)
    {
        _lock.EnterWriteLock();
        try
        {
            (_centroids, _mean, _lists, _trainedCount) = (centroids, mean, lists, trainedCount);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Cells a row's sign bits shortlist for the float comparison during a rebuild.</summary>
    private const int AssignmentShortlist = 64;

    private int NearestByShortlist(float[] centroids, ulong[] centroidBits, float[] mean, ReadOnlySpan<float> row, ulong[] bits, PriorityQueue<int, int> shortlist)
    {
        if (centroidBits.Length / _words <= AssignmentShortlist)
        {
            return Nearest(centroids, row);
        }

        SignBits(row, mean, bits);
        shortlist.Clear();
        for (var list = 0; list * _words < centroidBits.Length; list++)
        {
            var distance = -Hamming(bits, centroidBits.AsSpan(list * _words, _words));
            if (shortlist.Count < AssignmentShortlist)
            {
                shortlist.Enqueue(list, distance);
            }
            else if (shortlist.TryPeek(out _, out var weakest) && distance > weakest)
            {
                shortlist.EnqueueDequeue(list, distance);
            }
        }

        var best = 0;
        var bestDot = float.NegativeInfinity;
        while (shortlist.TryDequeue(out var list, out _))
        {
            var dot = TensorPrimitives.Dot(row, centroids.AsSpan(list * Dimension, Dimension));
            if (dot > bestDot || (dot == bestDot && list < best))
            {
                (best, bestDot) = (list, dot);
            }
        }

        return best;
    }

    private void Append(int list, int slot)
    {
        _listOf[slot] = list;
        _positionOf[slot] = _lists[list].Add(slot, Vector(slot), _mean!, new ulong[_words]);
    }

    /// <summary>One bit per dimension: whether the vector is above the bank's mean there.</summary>
    internal static void SignBits(ReadOnlySpan<float> vector, ReadOnlySpan<float> mean, Span<ulong> bits)
    {
        bits.Clear();
        for (var i = 0; i < vector.Length; i++)
        {
            if (vector[i] > mean[i])
            {
                bits[i >> 6] |= 1UL << (i & 63);
            }
        }
    }

    private static int Hamming(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        var distance = 0;
        for (var i = 0; i < a.Length; i++)
        {
            distance += BitOperations.PopCount(a[i] ^ b[i]);
        }

        return distance;
    }

    private float[] Normalised(ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"Expected {Dimension} values, got {vector.Length}.", nameof(vector));
        }

        var norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm) || norm == 0)
        {
            throw new ArgumentException("The vector is all zeros or has non-finite values.", nameof(vector));
        }

        var copy = vector.ToArray();
        TensorPrimitives.Divide(copy, norm, copy);
        return copy;
    }

    /// <summary>
    /// One cell's members: each row's sign bits, split into its head (the first <paramref name="headWords"/> words, scanned
    /// for every row of a probed list) and its tail (read only for the rows whose head passed), and its slot.
    /// </summary>
    private sealed class PostingList(int words, int headWords, int capacity)
    {
        private readonly int _tailWords = words - headWords;
        public ulong[] Heads = new ulong[Math.Max(capacity, 4) * headWords];
        public ulong[] Tails = new ulong[Math.Max(capacity, 4) * (words - headWords)];
        public int[] Slots = new int[Math.Max(capacity, 4)];
        public int Count;

        public int Add(int slot, ReadOnlySpan<float> vector, ReadOnlySpan<float> mean, Span<ulong> bits)
        {
            if (Count == Slots.Length)
            {
                Array.Resize(ref Heads, Count * 2 * headWords);
                Array.Resize(ref Tails, Count * 2 * _tailWords);
                Array.Resize(ref Slots, Count * 2);
            }

            SignBits(vector, mean, bits);
            bits[..headWords].CopyTo(Heads.AsSpan(Count * headWords, headWords));
            bits[headWords..].CopyTo(Tails.AsSpan(Count * _tailWords, _tailWords));
            Slots[Count] = slot;
            return Count++;
        }

        /// <summary>Removes the row at <paramref name="position"/> by moving the last row into it; returns the moved row's slot, or −1.</summary>
        public int RemoveAt(int position)
        {
            var last = --Count;
            if (position == last)
            {
                return -1;
            }

            Heads.AsSpan(last * headWords, headWords).CopyTo(Heads.AsSpan(position * headWords, headWords));
            Tails.AsSpan(last * _tailWords, _tailWords).CopyTo(Tails.AsSpan(position * _tailWords, _tailWords));
            Slots[position] = Slots[last];
            return Slots[position];
        }
    }

    /// <summary>A search's working arrays, one set per thread, grown as needed: a search allocates only its answer.</summary>
    private sealed class SearchScratch
    {
        [ThreadStatic]
        private static SearchScratch? t_current;

        private byte[] _headDistances = [];
        private int[] _candidateSlots = [];
        private ushort[] _candidateDistances = [];

        public float[] Keys { get; private set; } = [];
        public int[] Order { get; private set; } = [];
        public ulong[] QueryBits { get; private set; } = [];
        public int[] FullHistogram { get; private set; } = [];

        public static SearchScratch For(int lists, int words)
        {
            var scratch = t_current ??= new SearchScratch();
            if (scratch.Keys.Length < lists)
            {
                scratch.Keys = new float[lists];
                scratch.Order = new int[lists];
            }

            if (scratch.QueryBits.Length != words)
            {
                scratch.QueryBits = new ulong[words];
                scratch.FullHistogram = new int[(words * 64) + 1];
            }

            return scratch;
        }

        public Span<byte> HeadDistances(int rows) => Grown(ref _headDistances, rows);

        public Span<int> CandidateSlots(int rows) => Grown(ref _candidateSlots, rows);

        public Span<ushort> CandidateDistances(int rows) => Grown(ref _candidateDistances, rows);

        private static Span<T> Grown<T>(ref T[] array, int length)
        {
            if (array.Length < length)
            {
                array = new T[Math.Max(length, array.Length * 2)];
            }

            return array.AsSpan(0, length);
        }
    }
}
