using System.Collections.Concurrent;
using Compliance.Api.Infrastructure;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;
using Compliance.Storage.Blobs;
using Dapper;
using Npgsql;

namespace Compliance.Api.References;

/// <summary>
/// This node's in-memory reference bank: a PDQ index, an embedding index (8 rotations/mirrors per
/// image reference) and the references' ORB keypoints, loaded from Postgres at start and followed by change number.
/// Embeddings stored under another embedding model version (file or input recipe, ADR-038) are never compared with this
/// node's queries: they are computed again from the reference's stored image once and recorded (ADR-043), or left out
/// (logged) when it is gone.
/// </summary>
internal sealed class ReferenceBankIndex(
    NpgsqlDataSource db, ILogger<ReferenceBankIndex> logger, VisualEmbedder embedder, LocalBlobStore blobs, SafeImageDecoder decoder)
    : FollowedIndex<ReferenceBankIndex.Row>(db, logger), IReferenceBank
{
    private readonly PdqIndex _pdq = new();
    private readonly ConcurrentDictionary<long, ReferenceEntry> _entries = new();

    public IPdqIndex PdqIndex => _pdq;

    public EmbeddingIndex Embeddings { get; } = new(VisualEmbedder.Dimension, VisualEmbedder.DihedralCount);

    public LocalFeatureIndex LocalFeatures { get; } = new();

    public override int Count => _entries.Count;

    protected override string What => "Reference bank";

    public bool TryGet(long id, out ReferenceEntry entry) => _entries.TryGetValue(id, out entry!);

    protected override async Task<IEnumerable<Row>> ChangesSinceAsync(NpgsqlConnection conn, long since, CancellationToken ct) =>
        await conn.QueryAsync<Row>(new CommandDefinition(
            $"""
            select r.id as {nameof(Row.Id)}, r.public_id as {nameof(Row.PublicId)}, r.character_id as {nameof(Row.CharacterId)},
                   r.rights_holder_id as {nameof(Row.RightsHolderId)}, c.canonical_name as {nameof(Row.CharacterName)},
                   r.pdq_hash as {nameof(Row.PdqHash)}, r.matchable as {nameof(Row.Matchable)},
                   r.deleted_at is not null as {nameof(Row.Deleted)}, r.change_seq as {nameof(Row.ChangeSeq)}
            from reference_images r join characters c on c.id = r.character_id
            where r.change_seq > @since
            order by r.change_seq
            """,
            new { since },
            cancellationToken: ct));

    protected override bool Contains(long id) => _entries.ContainsKey(id);

    protected override bool Remove(long id)
    {
        if (!_entries.TryRemove(id, out _))
        {
            return false;
        }

        _pdq.Remove(id);
        Embeddings.Remove(id);
        LocalFeatures.Remove(id);
        return true;
    }

    protected override async Task AddAsync(NpgsqlConnection conn, IReadOnlyList<Row> rows, CancellationToken ct)
    {
        // Embeddings (8 × 512 floats a reference) are fetched only for references this node does not hold yet.
        var embeddings = new Dictionary<long, float[]>();
        var publicIds = rows.ToDictionary(r => r.Id, r => r.PublicId);
        foreach (var stored in await conn.QueryAsync<(long Id, float[] Embedding, string? Model, string? Blob, float[]? Recomputed)>(new CommandDefinition(
                     """
                     select i.id, i.embedding, i.embedding_model, i.blob_sha256, r.embedding
                     from reference_images i
                     left join reference_embeddings_recomputed r on r.reference_id = i.id and r.model_version = @model
                     where i.id = any(@ids) and i.embedding is not null
                     """,
                     new { ids = rows.Select(r => r.Id).ToArray(), model = embedder.ModelVersion },
                     cancellationToken: ct)))
        {
            var embedding = embedder.IsComparable(stored.Model) ? stored.Embedding
                : stored.Recomputed ?? await EmbedAgainAsync(conn, stored.Id, publicIds[stored.Id], stored.Model, stored.Blob, ct);
            if (embedding is not null)
            {
                embeddings[stored.Id] = embedding;
            }
        }

        // Keypoints made by another recipe are not comparable with this node's queries: such a reference is matched by
        // PDQ and embedding only, and logged, until it is uploaded again.
        var localFeatures = (await conn.QueryAsync<(long Id, byte[] Features, string Version)>(new CommandDefinition(
                "select id, local_features, local_features_version from reference_images where id = any(@ids) and local_features is not null",
                new { ids = rows.Select(r => r.Id).ToArray() },
                cancellationToken: ct)))
            .ToDictionary(r => r.Id);
        // Added in one go: the local-feature index copies its descriptors on every change.
        var keypoints = new List<(long, LocalFeatureSet)>();
        foreach (var row in rows)
        {
            var entry = new ReferenceEntry(row.Id, row.PublicId, row.CharacterId, row.RightsHolderId, row.CharacterName, PdqHash.Parse(row.PdqHash));
            // A low-quality PDQ hash (a featureless image) is not used for matching; its embedding still is.
            if (row.Matchable)
            {
                _pdq.Add(row.Id, entry.Pdq);
            }

            if (embeddings.TryGetValue(row.Id, out var flat) && flat.Length == VisualEmbedder.Dimension * VisualEmbedder.DihedralCount)
            {
                Embeddings.Add(row.Id, flat.Chunk(VisualEmbedder.Dimension).ToArray());
            }

            if (localFeatures.TryGetValue(row.Id, out var local))
            {
                if (LocalFeatureExtractor.IsComparable(local.Version))
                {
                    keypoints.Add((row.Id, LocalFeatureSet.FromBytes(local.Features)));
                }
                else
                {
                    logger.LogWarning("Reference {ReferenceId} has local features of recipe '{Stored}', not '{Current}': matched without them until uploaded again.",
                        row.PublicId, local.Version, LocalFeatureExtractor.ReferenceRecipe);
                }
            }

            _entries[row.Id] = entry;
        }

        LocalFeatures.AddRange(keypoints);
    }

    /// <summary>
    /// The reference's embeddings by this node's model, from its stored image, recorded in
    /// <c>reference_embeddings_recomputed</c> so later starts read them (ADR-043); null (the reference is matched by PDQ
    /// and keypoints only) when the image is gone or no longer decodes. The reference row itself stays immutable.
    /// </summary>
    private async Task<float[]?> EmbedAgainAsync(NpgsqlConnection conn, long rowId, Guid id, string? storedModel, string? blob, CancellationToken ct)
    {
        var bytes = blob is null ? null : await blobs.GetAsync(blob, ct);
        if (bytes is null)
        {
            logger.LogWarning("Reference {ReferenceId} has embeddings of model '{Stored}', not '{Current}', and no stored image: matched without them until uploaded again.",
                id, storedModel, embedder.ModelVersion);
            return null;
        }

        try
        {
            var embedding = ReferenceFeatures.EmbeddingsOf(decoder.Decode(bytes), embedder).SelectMany(e => e).ToArray();
            await conn.ExecuteAsync(new CommandDefinition(
                """
                insert into reference_embeddings_recomputed (reference_id, model_version, embedding) values (@rowId, @model, @embedding)
                on conflict (reference_id, model_version) do nothing
                """,
                new { rowId, model = embedder.ModelVersion, embedding },
                cancellationToken: ct));
            logger.LogInformation("Reference {ReferenceId}: embeddings of model '{Stored}' computed again with '{Current}' and recorded.", id, storedModel, embedder.ModelVersion);
            return embedding;
        }
        catch (ImageRejectedException e)
        {
            logger.LogWarning(e, "Reference {ReferenceId}: its stored image no longer decodes; matched without embeddings until uploaded again.", id);
            return null;
        }
    }

    internal sealed record Row : IChangeRow
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
