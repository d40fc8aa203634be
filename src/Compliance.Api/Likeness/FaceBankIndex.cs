using System.Collections.Concurrent;
using Compliance.Api.Infrastructure;
using Compliance.Classifiers.Images;
using Compliance.Faces;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Compliance.Api.Likeness;

/// <summary>
/// This node's in-memory index of enrolled faces, loaded from Postgres and followed by change number. From
/// <c>Faces:Search:ApproximateFrom</c> faces on, searches probe an inverted file that is rebuilt after a load that
/// doubled (or halved) the bank since the last rebuild (ADR-026).
/// </summary>
internal sealed class FaceBankIndex(NpgsqlDataSource db, IOptions<FaceSearchOptions> search, ILogger<FaceBankIndex> logger)
    : FollowedIndex<FaceBankIndex.Row>(db, logger), IFaceBank
{
    private readonly ConcurrentDictionary<long, EnrolledFace> _faces = new();

    public FaceSearchIndex Index { get; } = new(512, search.Value);

    public override int Count => _faces.Count;

    protected override string What => "Face bank";

    public bool TryGet(long id, out EnrolledFace face) => _faces.TryGetValue(id, out face!);

    protected override async Task<IEnumerable<Row>> ChangesSinceAsync(NpgsqlConnection conn, long since, CancellationToken ct) =>
        await conn.QueryAsync<Row>(new CommandDefinition(
            $"""
            select e.id as {nameof(Row.Id)}, e.public_id as {nameof(Row.PublicId)}, e.profile_id as {nameof(Row.ProfileId)},
                   p.display_name as {nameof(Row.DisplayName)}, e.deleted_at is not null as {nameof(Row.Deleted)}, e.change_seq as {nameof(Row.ChangeSeq)}
            from likeness_enrolments e join likeness_profiles p on p.id = e.profile_id
            where e.change_seq > @since
            order by e.change_seq
            """,
            new { since },
            cancellationToken: ct));

    protected override bool Contains(long id) => _faces.ContainsKey(id);

    protected override bool Remove(long id) => _faces.TryRemove(id, out _) && Index.Remove(id);

    protected override async Task AddAsync(NpgsqlConnection conn, IReadOnlyList<Row> rows, CancellationToken ct)
    {
        var embeddings = (await conn.QueryAsync<(long Id, float[] Embedding)>(new CommandDefinition(
                "select id, embedding from likeness_enrolments where id = any(@ids)", new { ids = rows.Select(r => r.Id).ToArray() }, cancellationToken: ct)))
            .ToDictionary(r => r.Id, r => r.Embedding);
        foreach (var row in rows)
        {
            Index.Add(row.Id, embeddings[row.Id]);
            _faces[row.Id] = new EnrolledFace(row.Id, row.PublicId, row.ProfileId, row.DisplayName);
        }

        if (Index.RebuildIfDue())
        {
            logger.LogInformation("Face bank: inverted file rebuilt over {Count} faces in {Lists} lists", Index.Count, Index.ListCount);
        }
    }

    internal sealed record Row : IChangeRow
    {
        public long Id { get; init; }
        public Guid PublicId { get; init; }
        public Guid ProfileId { get; init; }
        public string DisplayName { get; init; } = "";
        public bool Deleted { get; init; }
        public long ChangeSeq { get; init; }
    }
}
