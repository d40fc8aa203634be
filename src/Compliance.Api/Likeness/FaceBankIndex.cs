using System.Collections.Concurrent;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Embedding;
using Dapper;
using Npgsql;

namespace Compliance.Api.Likeness;

/// <summary>
/// This node's in-memory index of enrolled faces, loaded from Postgres and followed by change number
/// (with a look-back for out-of-order commits), exactly like the reference bank.
/// </summary>
internal sealed class FaceBankIndex(NpgsqlDataSource db, ILogger<FaceBankIndex> logger) : IFaceBank
{
    private const long LookBack = 1000;
    private readonly ConcurrentDictionary<long, EnrolledFace> _faces = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private long _lastChange;

    public long Version => Interlocked.Read(ref _lastChange);

    public EmbeddingIndex Index { get; } = new(512);

    public bool TryGet(long id, out EnrolledFace face) => _faces.TryGetValue(id, out face!);

    public async Task RefreshAsync(CancellationToken ct = default)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            var rows = (await conn.QueryAsync<Row>(new CommandDefinition(
                $"""
                select e.id as {nameof(Row.Id)}, e.public_id as {nameof(Row.PublicId)}, e.profile_id as {nameof(Row.ProfileId)},
                       p.display_name as {nameof(Row.DisplayName)}, e.deleted_at is not null as {nameof(Row.Deleted)}, e.change_seq as {nameof(Row.ChangeSeq)}
                from likeness_enrolments e join likeness_profiles p on p.id = e.profile_id
                where e.change_seq > @since
                order by e.change_seq
                """,
                new { since = Math.Max(0, _lastChange - LookBack) },
                cancellationToken: ct))).ToList();
            var last = _lastChange;
            var toAdd = new List<Row>();
            var removed = 0;
            foreach (var row in rows)
            {
                last = Math.Max(last, row.ChangeSeq);
                if (row.Deleted)
                {
                    if (_faces.TryRemove(row.Id, out _))
                    {
                        Index.Remove(row.Id);
                        removed++;
                    }
                }
                else if (!_faces.ContainsKey(row.Id))
                {
                    toAdd.Add(row);
                }
            }

            if (toAdd.Count > 0)
            {
                var embeddings = (await conn.QueryAsync<(long Id, float[] Embedding)>(new CommandDefinition(
                    "select id, embedding from likeness_enrolments where id = any(@ids)", new { ids = toAdd.Select(r => r.Id).ToArray() }, cancellationToken: ct)))
                    .ToDictionary(r => r.Id, r => r.Embedding);
                foreach (var row in toAdd)
                {
                    Index.Add(row.Id, embeddings[row.Id]);
                    _faces[row.Id] = new EnrolledFace(row.Id, row.PublicId, row.ProfileId, row.DisplayName);
                }
            }

            Interlocked.Exchange(ref _lastChange, last);
            if (toAdd.Count + removed > 0)
            {
                logger.LogInformation("Face bank at change {Change}: +{Added} -{Removed}, {Count} enrolled faces", last, toAdd.Count, removed, _faces.Count);
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
        public Guid ProfileId { get; init; }
        public string DisplayName { get; init; } = "";
        public bool Deleted { get; init; }
        public long ChangeSeq { get; init; }
    }
}
