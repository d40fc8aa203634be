using System.Collections.Concurrent;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;
using Dapper;
using Npgsql;

namespace Compliance.Api.References;

/// <summary>
/// This node's in-memory index of the reference bank. Loaded from Postgres at start, then followed:
/// every insert and soft delete takes a new <c>change_seq</c>, and a refresh applies the rows changed
/// since the last one it saw. Concurrent writers can commit change numbers out of order, so each
/// refresh looks back <see cref="LookBack"/> changes and applies them idempotently.
/// </summary>
internal sealed class ReferenceBankIndex(NpgsqlDataSource db, ILogger<ReferenceBankIndex> logger) : IReferenceBank
{
    private const long LookBack = 1000;
    private readonly PdqIndex _pdq = new();
    private readonly ConcurrentDictionary<long, ReferenceEntry> _entries = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private long _lastChange;

    public long Version => Interlocked.Read(ref _lastChange);

    public IPdqIndex PdqIndex => _pdq;

    public int Count => _entries.Count;

    public bool TryGet(long id, out ReferenceEntry entry) => _entries.TryGetValue(id, out entry!);

    public async Task RefreshAsync(CancellationToken ct = default)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            var rows = await conn.QueryAsync<Row>(new CommandDefinition(
                $"""
                select r.id as {nameof(Row.Id)}, r.public_id as {nameof(Row.PublicId)}, r.character_id as {nameof(Row.CharacterId)},
                       r.rights_holder_id as {nameof(Row.RightsHolderId)}, c.canonical_name as {nameof(Row.CharacterName)},
                       r.pdq_hash as {nameof(Row.PdqHash)}, r.matchable as {nameof(Row.Matchable)},
                       r.deleted_at is not null as {nameof(Row.Deleted)}, r.change_seq as {nameof(Row.ChangeSeq)}
                from reference_images r join characters c on c.id = r.character_id
                where r.change_seq > @since
                order by r.change_seq
                """,
                new { since = Math.Max(0, _lastChange - LookBack) },
                cancellationToken: ct));
            var added = 0;
            var removed = 0;
            var last = _lastChange;
            foreach (var row in rows)
            {
                last = Math.Max(last, row.ChangeSeq);
                if (row.Deleted || !row.Matchable)
                {
                    if (_entries.TryRemove(row.Id, out _))
                    {
                        _pdq.Remove(row.Id);
                        removed++;
                    }
                }
                else if (!_entries.ContainsKey(row.Id))
                {
                    var entry = new ReferenceEntry(row.Id, row.PublicId, row.CharacterId, row.RightsHolderId, row.CharacterName, PdqHash.Parse(row.PdqHash));
                    _pdq.Add(row.Id, entry.Pdq);
                    _entries[row.Id] = entry;
                    added++;
                }
            }

            Interlocked.Exchange(ref _lastChange, last);
            if (added + removed > 0)
            {
                logger.LogInformation("Reference bank at change {Change}: +{Added} -{Removed}, {Count} matchable references", last, added, removed, _entries.Count);
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    private sealed record Row
    {
        public long Id { get; init; }
        public Guid PublicId { get; init; }
        public Guid CharacterId { get; init; }
        public Guid RightsHolderId { get; init; }
        public string CharacterName { get; init; } = "";
        public string PdqHash { get; init; } = "";
        public bool Matchable { get; init; }
        public bool Deleted { get; init; }
        public long ChangeSeq { get; init; }
    }
}
