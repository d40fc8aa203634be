using System.Collections.Concurrent;
using Compliance.Api.Infrastructure;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;
using Dapper;
using Npgsql;

namespace Compliance.Api.References;

/// <summary>
/// This node's in-memory reference bank: a PDQ index, an embedding index (8 rotations/mirrors per
/// image reference) and the references' ORB keypoints, loaded from Postgres at start and followed by change number.
/// </summary>
internal sealed class ReferenceBankIndex(NpgsqlDataSource db, ILogger<ReferenceBankIndex> logger)
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
        var embeddings = (await conn.QueryAsync<(long Id, float[] Embedding)>(new CommandDefinition(
                "select id, embedding from reference_images where id = any(@ids) and embedding is not null",
                new { ids = rows.Select(r => r.Id).ToArray() },
                cancellationToken: ct)))
            .ToDictionary(r => r.Id, r => r.Embedding);
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
