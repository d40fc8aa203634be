using System.Numerics.Tensors;

namespace Compliance.Imaging.Embedding;

/// <summary>One stored entry at or above the query's minimum cosine (the best over the entry's variants).</summary>
public readonly record struct EmbeddingMatch(long Id, float Cosine);

/// <summary>
/// Brute-force cosine search over L2-normalised embeddings stored row by row in one contiguous float
/// matrix, so a query is one SIMD dot product per row (<see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>).
/// An entry may hold several variants (e.g. the eight rotations and mirrors from
/// <see cref="VisualEmbedder.EmbedDihedral"/>) in adjacent rows; it scores the best of them.
/// At 512 dimensions a scan reads 2 KiB per row: tens of thousands of references answer in milliseconds,
/// which is the scale this is for; beyond that use an approximate index.
/// </summary>
/// <remarks>
/// Vectors are normalised on the way in, so callers may pass raw ones. Any number of concurrent
/// <see cref="TopK"/> calls run in parallel; <c>Add</c> and <see cref="Remove"/> take the write side of a
/// reader-writer lock (removal moves the last entry into the hole, so rows are not stable for a reader
/// without the lock).
/// </remarks>
public sealed class EmbeddingIndex : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<long, int> _entryOfId = [];
    private readonly int _entryLength;
    private float[] _matrix;
    private long[] _ids;
    private int _count;

    /// <summary>An empty index of vectors of the given length, each entry holding <paramref name="variantsPerEntry"/> of them.</summary>
    public EmbeddingIndex(int dimension = VisualEmbedder.Dimension, int variantsPerEntry = 1, int initialCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(variantsPerEntry);
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        Dimension = dimension;
        VariantsPerEntry = variantsPerEntry;
        _entryLength = checked(dimension * variantsPerEntry);
        var capacity = Math.Max(initialCapacity, 1);
        _matrix = new float[checked(capacity * _entryLength)];
        _ids = new long[capacity];
    }

    /// <summary>Length of every stored vector.</summary>
    public int Dimension { get; }

    /// <summary>Rows per entry; a query scores the best of them.</summary>
    public int VariantsPerEntry { get; }

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

    /// <summary>Stores one vector under an id that is not already present (repeated in every variant row).</summary>
    /// <exception cref="ArgumentException">The id is present, the length is wrong, or the vector is all zeros or not finite.</exception>
    public void Add(long id, ReadOnlySpan<float> embedding)
    {
        var row = Normalised(embedding);
        var entry = new float[_entryLength];
        for (var variant = 0; variant < VariantsPerEntry; variant++)
        {
            row.CopyTo(entry, variant * Dimension);
        }

        Store(id, entry);
    }

    /// <summary>Stores exactly <see cref="VariantsPerEntry"/> vectors under an id that is not already present.</summary>
    /// <exception cref="ArgumentException">The id is present, the count or a length is wrong, or a vector is all zeros or not finite.</exception>
    public void Add(long id, IReadOnlyList<float[]> variants)
    {
        ArgumentNullException.ThrowIfNull(variants);
        if (variants.Count != VariantsPerEntry)
        {
            throw new ArgumentException($"Expected {VariantsPerEntry} variants, got {variants.Count}.", nameof(variants));
        }

        var entry = new float[_entryLength];
        for (var variant = 0; variant < VariantsPerEntry; variant++)
        {
            Normalised(variants[variant]).CopyTo(entry, variant * Dimension);
        }

        Store(id, entry);
    }

    /// <summary>Removes the entry with this id; false if there is none.</summary>
    public bool Remove(long id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_entryOfId.Remove(id, out var entry))
            {
                return false;
            }

            var last = _count - 1;
            if (entry != last)
            {
                Rows(last).CopyTo(Rows(entry));
                _ids[entry] = _ids[last];
                _entryOfId[_ids[entry]] = entry;
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
    /// The at most <paramref name="k"/> entries most similar to <paramref name="query"/> whose cosine (best over
    /// the entry's variants) is at least <paramref name="minCosine"/>, best first (ties by id).
    /// </summary>
    public IReadOnlyList<EmbeddingMatch> TopK(ReadOnlySpan<float> query, int k, float minCosine = -1f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var normalised = Normalised(query);
        if (k == 0)
        {
            return [];
        }

        var best = new TopMatches(k);
        _lock.EnterReadLock();
        try
        {
            for (var entry = 0; entry < _count; entry++)
            {
                var rows = Rows(entry);
                var cosine = float.NegativeInfinity;
                for (var variant = 0; variant < VariantsPerEntry; variant++)
                {
                    cosine = MathF.Max(cosine, TensorPrimitives.Dot(normalised, rows.Slice(variant * Dimension, Dimension)));
                }

                if (cosine < minCosine)
                {
                    continue;
                }

                best.Offer(_ids[entry], cosine);
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return best.ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    private Span<float> Rows(int entry) => _matrix.AsSpan(entry * _entryLength, _entryLength);

    private void Store(long id, float[] entry)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_entryOfId.ContainsKey(id))
            {
                throw new ArgumentException($"Id {id} is already in the index.", nameof(id));
            }

            if (_count == _ids.Length)
            {
                var capacity = checked(_ids.Length * 2);
                Array.Resize(ref _ids, capacity);
                Array.Resize(ref _matrix, checked(capacity * _entryLength));
            }

            entry.CopyTo(Rows(_count));
            _ids[_count] = id;
            _entryOfId.Add(id, _count);
            _count++;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
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
}
