using System.Numerics;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Matching;

/// <summary>
/// The obvious index: compare the query with every stored hash. Exact by construction, so it is the
/// yardstick for <see cref="PdqIndex"/> in tests and benchmarks. Entries live in flat arrays (four
/// words per hash); a <see cref="ReaderWriterLockSlim"/> lets queries run together and writers alone.
/// </summary>
public sealed class LinearScanIndex : IPdqIndex, IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<long, int> _slotById = [];
    private ulong[] _words = new ulong[4 * 1024];
    private long[] _ids = new long[1024];
    private int _count;

    /// <inheritdoc/>
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

    /// <inheritdoc/>
    public void Add(long id, PdqHash hash)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_slotById.TryAdd(id, _count))
            {
                throw new ArgumentException($"Id {id} is already in the index.", nameof(id));
            }

            if (_count == _ids.Length)
            {
                Array.Resize(ref _ids, _ids.Length * 2);
                Array.Resize(ref _words, _words.Length * 2);
            }

            _ids[_count] = id;
            Write(_words, _count, hash);
            _count++;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc/>
    public bool Remove(long id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_slotById.Remove(id, out var slot))
            {
                return false;
            }

            // Move the last entry into the hole so the arrays stay dense.
            var last = _count - 1;
            if (slot != last)
            {
                _ids[slot] = _ids[last];
                _words.AsSpan(4 * last, 4).CopyTo(_words.AsSpan(4 * slot, 4));
                _slotById[_ids[slot]] = slot;
            }

            _count--;
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<PdqMatch> Query(PdqHash query, int maxDistance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        var matches = new List<PdqMatch>();
        _lock.EnterReadLock();
        try
        {
            var words = _words.AsSpan(0, 4 * _count);
            for (var slot = 0; slot < _count; slot++)
            {
                var w = words.Slice(4 * slot, 4);
                var distance = BitOperations.PopCount(w[0] ^ query.W0) + BitOperations.PopCount(w[1] ^ query.W1)
                    + BitOperations.PopCount(w[2] ^ query.W2) + BitOperations.PopCount(w[3] ^ query.W3);
                if (distance <= maxDistance)
                {
                    matches.Add(new PdqMatch(_ids[slot], new PdqHash(w[0], w[1], w[2], w[3]), distance));
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        matches.Sort(PdqMatchOrder.Instance);
        return matches;
    }

    /// <inheritdoc/>
    public void Dispose() => _lock.Dispose();

    internal static void Write(Span<ulong> words, int slot, PdqHash hash)
    {
        var w = words.Slice(4 * slot, 4);
        w[0] = hash.W0;
        w[1] = hash.W1;
        w[2] = hash.W2;
        w[3] = hash.W3;
    }
}

/// <summary>Distance, then id: the order every index returns its matches in.</summary>
internal sealed class PdqMatchOrder : IComparer<PdqMatch>
{
    public static readonly PdqMatchOrder Instance = new();

    public int Compare(PdqMatch x, PdqMatch y)
    {
        var byDistance = x.Distance.CompareTo(y.Distance);
        return byDistance != 0 ? byDistance : x.Id.CompareTo(y.Id);
    }
}
