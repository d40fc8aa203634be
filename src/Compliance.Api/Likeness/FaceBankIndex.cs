using System.Collections.Concurrent;
using Compliance.Api.Infrastructure;
using Compliance.Classifiers.Images;
using Compliance.Faces;
using Compliance.Imaging.Decoding;
using Compliance.Storage.Blobs;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Compliance.Api.Likeness;

/// <summary>
/// This node's in-memory index of enrolled faces, loaded from Postgres and followed by change number. From
/// <c>Faces:Search:ApproximateFrom</c> faces on, searches probe an inverted file that is rebuilt after a load that
/// doubled (or halved) the bank since the last rebuild (ADR-026). A face enrolled under another face-model version
/// (model files or input recipe, <see cref="FacePipeline.Version"/>) is not compared as stored: its photo is analysed
/// again and the new embedding recorded once in <c>enrolment_embeddings_recomputed</c> (ADR-043).
/// </summary>
internal sealed class FaceBankIndex(
    NpgsqlDataSource db, IOptions<FaceSearchOptions> search, FacePipeline pipeline, LocalBlobStore blobs, SafeImageDecoder decoder, ILogger<FaceBankIndex> logger)
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
        var stored = (await conn.QueryAsync<Stored>(new CommandDefinition(
                $"""
                select e.id as {nameof(Stored.Id)}, e.public_id as {nameof(Stored.PublicId)}, e.embedding as {nameof(Stored.Embedding)},
                       e.model_version as {nameof(Stored.ModelVersion)}, e.blob_sha256 as {nameof(Stored.Blob)}, e.face_box as {nameof(Stored.FaceBox)},
                       r.embedding as {nameof(Stored.Recomputed)}
                from likeness_enrolments e
                left join enrolment_embeddings_recomputed r on r.enrolment_id = e.id and r.model_version = @version
                where e.id = any(@ids)
                """,
                new { ids = rows.Select(r => r.Id).ToArray(), version = pipeline.Version },
                cancellationToken: ct)))
            .ToDictionary(r => r.Id);
        foreach (var row in rows)
        {
            var enrolment = stored[row.Id];
            var embedding = enrolment.ModelVersion == pipeline.Version ? enrolment.Embedding
                : enrolment.Recomputed ?? await EmbedAgainAsync(conn, enrolment, ct);
            Index.Add(row.Id, embedding);
            _faces[row.Id] = new EnrolledFace(row.Id, row.PublicId, row.ProfileId, row.DisplayName);
        }

        if (Index.RebuildIfDue())
        {
            logger.LogInformation("Face bank: inverted file rebuilt over {Count} faces in {Lists} lists", Index.Count, Index.ListCount);
        }
    }

    /// <summary>
    /// The enrolment's face embedded by this node's models from its stored photo, recorded for later starts. When the photo
    /// is gone or no longer shows the enrolled face, the stored embedding is kept (logged): a face compared at the old
    /// recipe's small drift still protects its owner, while leaving it out would protect nobody.
    /// </summary>
    private async Task<float[]> EmbedAgainAsync(NpgsqlConnection conn, Stored enrolment, CancellationToken ct)
    {
        var bytes = await blobs.GetAsync(enrolment.Blob, ct);
        if (bytes is null)
        {
            logger.LogWarning("Enrolment {EnrolmentId} was embedded by '{Stored}', not '{Current}', and its photo is gone: compared as stored.",
                enrolment.PublicId, enrolment.ModelVersion, pipeline.Version);
            return enrolment.Embedding;
        }

        IReadOnlyList<DetectedFace> faces;
        try
        {
            faces = pipeline.Analyze(decoder.Decode(bytes));
        }
        catch (ImageRejectedException e)
        {
            logger.LogWarning(e, "Enrolment {EnrolmentId}: its photo no longer decodes; compared as stored.", enrolment.PublicId);
            return enrolment.Embedding;
        }

        var box = new FaceBox(enrolment.FaceBox[0], enrolment.FaceBox[1], enrolment.FaceBox[2], enrolment.FaceBox[3]);
        var face = faces.Select(f => (Face: f, Overlap: f.Box.IntersectionOverUnion(box))).Where(f => f.Overlap >= 0.5f).MaxBy(f => f.Overlap).Face;
        if (face is null)
        {
            logger.LogWarning("Enrolment {EnrolmentId}: the face enrolled is not found again in its photo by '{Current}'; compared as stored.",
                enrolment.PublicId, pipeline.Version);
            return enrolment.Embedding;
        }

        var embedding = face.EmbeddingCopy();
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into enrolment_embeddings_recomputed (enrolment_id, model_version, embedding) values (@id, @version, @embedding)
            on conflict (enrolment_id, model_version) do nothing
            """,
            new { id = enrolment.Id, version = pipeline.Version, embedding },
            cancellationToken: ct));
        logger.LogInformation("Enrolment {EnrolmentId}: embedded by '{Stored}', computed again with '{Current}' and recorded.",
            enrolment.PublicId, enrolment.ModelVersion, pipeline.Version);
        return embedding;
    }

    private sealed record Stored
    {
        public long Id { get; init; }
        public Guid PublicId { get; init; }
        public float[] Embedding { get; init; } = [];
        public string ModelVersion { get; init; } = "";
        public string Blob { get; init; } = "";
        public float[] FaceBox { get; init; } = [];
        public float[]? Recomputed { get; init; }
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
