using Npgsql;

namespace Compliance.Api.Infrastructure;

/// <summary>A row of a followed table: soft-deletable, and stamped with a change number on insert and delete.</summary>
internal interface IChangeRow
{
    long Id { get; }

    bool Deleted { get; }

    long ChangeSeq { get; }
}

/// <summary>
/// An in-memory index that follows a Postgres table by change number: each refresh applies the rows
/// changed since the last change it saw. Concurrent writers can commit change numbers out of order,
/// so each refresh looks back <see cref="LookBack"/> changes and applies them idempotently (add what
/// is not held, remove what is deleted). Refreshes are serialised; readers never wait.
/// </summary>
internal abstract class FollowedIndex<TRow>(NpgsqlDataSource db, ILogger logger)
    where TRow : IChangeRow
{
    private const long LookBack = 1000;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private long _lastChange;

    /// <summary>The database the index follows, for subclasses that read more than the followed rows.</summary>
    protected NpgsqlDataSource Db => db;

    /// <summary>The last change applied; recorded in signals' model versions.</summary>
    public long Version => Interlocked.Read(ref _lastChange);

    protected abstract string What { get; }

    public virtual async Task RefreshAsync(CancellationToken ct = default)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            var last = _lastChange;
            var toAdd = new List<TRow>();
            var removed = 0;
            foreach (var row in await ChangesSinceAsync(conn, Math.Max(0, last - LookBack), ct))
            {
                last = Math.Max(last, row.ChangeSeq);
                if (row.Deleted)
                {
                    removed += Remove(row.Id) ? 1 : 0;
                }
                else if (!Contains(row.Id))
                {
                    toAdd.Add(row);
                }
            }

            if (toAdd.Count > 0)
            {
                await AddAsync(conn, toAdd, ct);
            }

            Interlocked.Exchange(ref _lastChange, last);
            if (toAdd.Count + removed > 0)
            {
                logger.LogInformation("{What} at change {Change}: +{Added} -{Removed}, {Count} held", What, last, toAdd.Count, removed, Count);
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    public abstract int Count { get; }

    /// <summary>Rows whose change number is above <paramref name="since"/>, in change order.</summary>
    protected abstract Task<IEnumerable<TRow>> ChangesSinceAsync(NpgsqlConnection conn, long since, CancellationToken ct);

    protected abstract bool Contains(long id);

    /// <summary>Removes a row if held; true when it was.</summary>
    protected abstract bool Remove(long id);

    /// <summary>Adds rows not yet held (fetching any heavy columns, such as embeddings, only for these).</summary>
    protected abstract Task AddAsync(NpgsqlConnection conn, IReadOnlyList<TRow> rows, CancellationToken ct);
}
