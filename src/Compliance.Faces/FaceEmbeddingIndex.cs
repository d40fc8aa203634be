using System.Numerics.Tensors;

namespace Compliance.Faces;

/// <summary>One search hit: an enrolled embedding's id and its cosine similarity to the query.</summary>
public readonly record struct FaceMatch(long Id, float Cosine);

/// <summary>
/// Exact nearest-neighbour search over enrolled embeddings: one contiguous row-major float matrix scanned with SIMD
/// dot products (rows and queries are L2-normalised, so a dot product is the cosine). A scan is memory-bound and
/// linear — the measured latency at 100,000 rows is in bench/Compliance.Faces.Bench/README.md. Thread-safe: many
/// concurrent searches, writers exclusive.
/// </summary>
public sealed class FaceEmbeddingIndex : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<long, int> _rowOf = [];
    private float[] _matrix;
    private long[] _ids;
    private int _count;

    /// <summary>Creates an empty index of <paramref name="dimension"/>-long embeddings.</summary>
    public FaceEmbeddingIndex(int dimension, int initialCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
        Dimension = dimension;
        _matrix = new float[(long)dimension * initialCapacity];
        _ids = new long[initialCapacity];
    }

    /// <summary>Length of every embedding.</summary>
    public int Dimension { get; }

    /// <summary>Number of enrolled embeddings.</summary>
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

    /// <summary>Enrols an embedding under <paramref name="id"/> (stored L2-normalised), replacing any earlier one with that id.</summary>
    public void Add(long id, ReadOnlySpan<float> embedding)
    {
        CheckDimension(embedding);
        _lock.EnterWriteLock();
        try
        {
            if (!_rowOf.TryGetValue(id, out var row))
            {
                if (_count == _ids.Length)
                {
                    Grow();
                }

                row = _count++;
                _rowOf[id] = row;
                _ids[row] = id;
            }

            var target = Row(row);
            embedding.CopyTo(target);
            FaceVectors.Normalize(target);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes the embedding enrolled under <paramref name="id"/>; false when there is none.</summary>
    public bool Remove(long id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_rowOf.Remove(id, out var row))
            {
                return false;
            }

            // Keep the matrix dense: the last row moves into the hole.
            var last = --_count;
            if (row != last)
            {
                Row(last).CopyTo(Row(row));
                _ids[row] = _ids[last];
                _rowOf[_ids[row]] = row;
            }

            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// The at most <paramref name="k"/> enrolled embeddings most similar to <paramref name="query"/> with cosine ≥
    /// <paramref name="minCosine"/>, most similar first (ties by ascending id).
    /// </summary>
    public IReadOnlyList<FaceMatch> Search(ReadOnlySpan<float> query, int k, float minCosine = -1f)
    {
        CheckDimension(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var unit = query.ToArray();
        FaceVectors.Normalize(unit);

        // A min-heap of the best k so far: its root is the hit to evict.
        var best = new PriorityQueue<FaceMatch, FaceMatch>(k + 1, WorstFirst.Instance);
        _lock.EnterReadLock();
        try
        {
            var matrix = _matrix.AsSpan();
            for (var row = 0; row < _count; row++)
            {
                var cosine = TensorPrimitives.Dot(unit, matrix.Slice(row * Dimension, Dimension));
                if (cosine < minCosine)
                {
                    continue;
                }

                var hit = new FaceMatch(_ids[row], cosine);
                if (best.Count < k)
                {
                    best.Enqueue(hit, hit);
                }
                else if (WorstFirst.Instance.Compare(hit, best.Peek()) > 0)
                {
                    best.DequeueEnqueue(hit, hit);
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        var result = new FaceMatch[best.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            result[i] = best.Dequeue();
        }

        return result;
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    private Span<float> Row(int row) => _matrix.AsSpan(row * Dimension, Dimension);

    private void Grow()
    {
        var capacity = _ids.Length * 2;
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _matrix, capacity * Dimension);
    }

    private void CheckDimension(ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != Dimension)
        {
            throw new ArgumentException($"The embedding has {embedding.Length} values; this index holds {Dimension}.", nameof(embedding));
        }
    }

    /// <summary>Orders hits from worst to best: lower cosine first, and on a tie the higher id first.</summary>
    private sealed class WorstFirst : IComparer<FaceMatch>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare(FaceMatch x, FaceMatch y)
        {
            var byCosine = x.Cosine.CompareTo(y.Cosine);
            return byCosine != 0 ? byCosine : y.Id.CompareTo(x.Id);
        }
    }
}
