using System.Numerics.Tensors;

namespace Compliance.Imaging.Embedding;

/// <summary>One stored embedding at or above the query's minimum cosine.</summary>
public readonly record struct EmbeddingMatch(long Id, float Cosine);

/// <summary>
/// Brute-force cosine search over L2-normalised embeddings stored row by row in one contiguous float
/// matrix, so a query is one SIMD dot product per row (<see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>).
/// At 512 dimensions a scan reads 2 KiB per entry: tens of thousands of references answer in a few
/// milliseconds, which is the scale this is for; beyond that use an approximate index.
/// </summary>
/// <remarks>
/// Vectors are normalised on the way in, so callers may pass raw ones. Any number of concurrent
/// <see cref="TopK"/> calls run in parallel; <see cref="Add"/> and <see cref="Remove"/> take the write side of a
/// reader-writer lock (removal moves the last row into the hole, so rows are never stable for a reader
/// without the lock).
/// </remarks>
public sealed class EmbeddingIndex : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<long, int> _rowOfId = [];
    private float[] _matrix;
    private long[] _ids;
    private int _count;

    /// <summary>An empty index of vectors of the given length.</summary>
    public EmbeddingIndex(int dimension = VisualEmbedder.Dimension, int initialCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        Dimension = dimension;
        _matrix = new float[(long)Math.Max(initialCapacity, 1) * dimension];
        _ids = new long[Math.Max(initialCapacity, 1)];
    }

    /// <summary>Length of every stored vector.</summary>
    public int Dimension { get; }

    /// <summary>Number of stored entries.</summary>
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

    /// <summary>Stores a vector under an id that is not already present.</summary>
    /// <exception cref="ArgumentException">The id is present, the length is wrong, or the vector is all zeros or not finite.</exception>
    public void Add(long id, ReadOnlySpan<float> embedding)
    {
        var row = Normalised(embedding);
        _lock.EnterWriteLock();
        try
        {
            if (_rowOfId.ContainsKey(id))
            {
                throw new ArgumentException($"Id {id} is already in the index.", nameof(id));
            }

            if (_count == _ids.Length)
            {
                var capacity = checked(_ids.Length * 2);
                Array.Resize(ref _ids, capacity);
                Array.Resize(ref _matrix, checked(capacity * Dimension));
            }

            row.CopyTo(_matrix.AsSpan(_count * Dimension, Dimension));
            _ids[_count] = id;
            _rowOfId.Add(id, _count);
            _count++;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes the entry with this id; false if there is none.</summary>
    public bool Remove(long id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_rowOfId.Remove(id, out var row))
            {
                return false;
            }

            var last = _count - 1;
            if (row != last)
            {
                _matrix.AsSpan(last * Dimension, Dimension).CopyTo(_matrix.AsSpan(row * Dimension, Dimension));
                _ids[row] = _ids[last];
                _rowOfId[_ids[row]] = row;
            }

            _count = last;
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// The at most <paramref name="k"/> entries most similar to <paramref name="query"/> whose cosine is at
    /// least <paramref name="minCosine"/>, best first (ties by id).
    /// </summary>
    public IReadOnlyList<EmbeddingMatch> TopK(ReadOnlySpan<float> query, int k, float minCosine = -1f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var normalised = Normalised(query);
        if (k == 0)
        {
            return [];
        }

        // A min-heap of the best k so far: its root is the weakest kept match.
        var best = new PriorityQueue<EmbeddingMatch, (float Cosine, long NegatedId)>(k + 1);
        _lock.EnterReadLock();
        try
        {
            for (var row = 0; row < _count; row++)
            {
                var cosine = TensorPrimitives.Dot(normalised, _matrix.AsSpan(row * Dimension, Dimension));
                if (cosine < minCosine)
                {
                    continue;
                }

                var priority = (cosine, -_ids[row]);
                if (best.Count < k)
                {
                    best.Enqueue(new EmbeddingMatch(_ids[row], cosine), priority);
                }
                else if (best.TryPeek(out _, out var weakest) && priority.CompareTo(weakest) > 0)
                {
                    best.EnqueueDequeue(new EmbeddingMatch(_ids[row], cosine), priority);
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        var result = new EmbeddingMatch[best.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            result[i] = best.Dequeue();
        }

        return result;
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

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
}
