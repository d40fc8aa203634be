using System.Collections.Concurrent;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Embedding;
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
    private readonly EmbeddingIndex _embeddings = new(VisualEmbedder.Dimension, VisualEmbedder.DihedralCount);
    private readonly ConcurrentDictionary<long, ReferenceEntry> _entries = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private long _lastChange;

    public long Version => Interlocked.Read(ref _lastChange);

    public IPdqIndex PdqIndex => _pdq;

    public EmbeddingIndex Embeddings => _embeddings;

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
            var removed = 0;
            var last = _lastChange;
            var toAdd = new List<Row>();
            foreach (var row in rows)
            {
                last = Math.Max(last, row.ChangeSeq);
                if (row.Deleted)
                {
                    if (_entries.TryRemove(row.Id, out _))
                    {
                        _pdq.Remove(row.Id);
                        _embeddings.Remove(row.Id);
                        removed++;
                    }
                }
                else if (!_entries.ContainsKey(row.Id))
                {
                    toAdd.Add(row);
                }
            }

            // Embeddings (8 × 512 floats a reference) are fetched only for references this node does not hold yet.
            var embeddings = toAdd.Count == 0 ? [] : (await conn.QueryAsync<(long Id, float[] Embedding)>(new CommandDefinition(
                    "select id, embedding from reference_images where id = any(@ids) and embedding is not null",
                    new { ids = toAdd.Select(r => r.Id).ToArray() },
                    cancellationToken: ct)))
                .ToDictionary(r => r.Id, r => r.Embedding);
            foreach (var row in toAdd)
            {
                var entry = new ReferenceEntry(row.Id, row.PublicId, row.CharacterId, row.RightsHolderId, row.CharacterName, PdqHash.Parse(row.PdqHash));
                // A low-quality PDQ hash (a featureless image) is not used for matching; its embedding still is.
                if (row.Matchable)
                {
                    _pdq.Add(row.Id, entry.Pdq);
                }

                if (embeddings.TryGetValue(row.Id, out var flat) && flat.Length == VisualEmbedder.Dimension * VisualEmbedder.DihedralCount)
                {
                    _embeddings.Add(row.Id, flat.Chunk(VisualEmbedder.Dimension).ToArray());
                }

                _entries[row.Id] = entry;
            }

            var added = toAdd.Count;

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
