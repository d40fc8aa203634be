using System.Collections.Concurrent;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Rows cached per node and trusted only while a cluster-wide change number is the one they were read under (ADR-031
/// for grants, ADR-034 for likeness consents). The caller passes the number its request read after it arrived
/// (<see cref="ChangeNumberReader"/>); rows cached under that number or a later one hold every change up to it, and
/// anything else is read again. A key the database has no row for is cached as absent (null).
/// </summary>
/// <param name="maxRows">A bound on the rows kept; past it the cache starts again empty.</param>
internal sealed class ChangeNumberCache<TKey, TValue>(int maxRows)
    where TKey : notnull
    where TValue : class
{
    private Generation _generation = new(-1);

    /// <summary>The row (null: none) for each key, from the cache where it is fresh for <paramref name="version"/>, else from <paramref name="read"/>.</summary>
    /// <param name="version">The change number this request read after it arrived.</param>
    /// <param name="keys">The keys wanted (distinct).</param>
    /// <param name="read">Reads the rows of the keys not cached; a key missing from its answer has no row.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<Dictionary<TKey, TValue?>> GetAsync(
        long version, IEnumerable<TKey> keys, Func<TKey[], CancellationToken, Task<Dictionary<TKey, TValue>>> read, CancellationToken ct)
    {
        var cache = Volatile.Read(ref _generation);
        if (cache.Version < version)
        {
            var fresh = new Generation(version);
            cache = Interlocked.CompareExchange(ref _generation, fresh, cache) == cache ? fresh : Volatile.Read(ref _generation);
        }

        var found = new Dictionary<TKey, TValue?>();
        List<TKey>? missing = null;
        foreach (var key in keys)
        {
            if (cache.Version >= version && cache.Rows.TryGetValue(key, out var kept))
            {
                found[key] = kept;
            }
            else
            {
                (missing ??= []).Add(key);
            }
        }

        if (missing is null)
        {
            return found;
        }

        var wanted = missing.ToArray();
        var rows = await read(wanted, ct);

        // Kept only under the number this request read them after: a cache started for a later number must not take rows
        // that may predate its change.
        var keep = cache.Version == version;
        if (keep && cache.Rows.Count + wanted.Length > maxRows)
        {
            cache.Rows.Clear();
        }

        foreach (var key in wanted)
        {
            rows.TryGetValue(key, out var row);
            if (keep)
            {
                cache.Rows[key] = row;
            }

            found[key] = row;
        }

        return found;
    }

    /// <summary>Rows (null: none) all read after change number <see cref="Version"/> was seen.</summary>
    private sealed class Generation(long version)
    {
        public long Version { get; } = version;

        public ConcurrentDictionary<TKey, TValue?> Rows { get; } = new();
    }
}
