using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using Compliance.Api.Infrastructure;
using Compliance.Audio;
using Compliance.Generation.Soundtrack;
using Dapper;
using Npgsql;

namespace Compliance.Api.Recordings;

/// <summary>
/// This node's in-memory index of reference recordings' fingerprints (<see cref="FingerprintIndex"/>), loaded from
/// Postgres at start and followed by change number like the reference-image bank: every node searches the same
/// references, and a reference added or removed through any node is matched (or not) from its next refresh. Titles and
/// artists are held per recording and read again whenever the catalog's change number moved (a recording's title can
/// be corrected, <c>PUT /v1/recordings/{id}</c>), so a match names the recording as it is called now.
/// </summary>
internal sealed class RecordingBankIndex(NpgsqlDataSource db, ILogger<RecordingBankIndex> logger)
    : FollowedIndex<RecordingBankIndex.Row>(db, logger), IRecordingBank, IDisposable
{
    private readonly FingerprintIndex _index = new();
    private readonly ConcurrentDictionary<long, RecordingReference> _entries = new();
    private readonly ConcurrentDictionary<Guid, (string Title, string? Artist)> _titles = new();
    private readonly SemaphoreSlim _titlesRefresh = new(1, 1);
    private long _titlesAtCatalog = -1;

    public override int Count => _entries.Count;

    protected override string What => "Recording bank";

    public IReadOnlyList<(AudioMatch Match, RecordingReference Reference)> Search(IReadOnlyList<uint> query) =>
        [.. _index.Search(query)
            .Select(m => (Match: m, Found: _entries.TryGetValue(long.Parse(m.ReferenceId, CultureInfo.InvariantCulture), out var r) ? r : null))
            .Where(m => m.Found is not null)
            .Select(m => (m.Match, _titles.TryGetValue(m.Found!.RecordingId, out var now) ? m.Found with { Title = now.Title, Artist = now.Artist } : m.Found))];

    /// <summary>
    /// Follows fingerprints by their change number, then, when the catalog's change number moved since titles were last
    /// read, reads the titles and artists of the recordings held again (one query; recordings are few next to their
    /// fingerprints, and catalog changes are edits, not traffic).
    /// </summary>
    public override async Task RefreshAsync(CancellationToken ct = default)
    {
        await base.RefreshAsync(ct);
        await _titlesRefresh.WaitAsync(ct);
        try
        {
            await using var conn = await Db.OpenConnectionAsync(ct);
            var catalog = await conn.ExecuteScalarAsync<long>(new CommandDefinition("select version from catalog_state where id = 1", cancellationToken: ct));
            if (catalog == _titlesAtCatalog)
            {
                return;
            }

            var held = _entries.Values.Select(e => e.RecordingId).Distinct().ToArray();
            foreach (var (id, title, artist) in await conn.QueryAsync<(Guid, string, string?)>(new CommandDefinition(
                         "select id, canonical_name, artist from characters where id = any(@held)", new { held }, cancellationToken: ct)))
            {
                _titles[id] = (title, artist);
            }

            _titlesAtCatalog = catalog;
        }
        finally
        {
            _titlesRefresh.Release();
        }
    }

    protected override async Task<IEnumerable<Row>> ChangesSinceAsync(NpgsqlConnection conn, long since, CancellationToken ct) =>
        await conn.QueryAsync<Row>(new CommandDefinition(
            $"""
            select r.id as {nameof(Row.Id)}, r.public_id as {nameof(Row.PublicId)}, r.recording_id as {nameof(Row.RecordingId)},
                   r.rights_holder_id as {nameof(Row.RightsHolderId)}, c.canonical_name as {nameof(Row.Title)}, c.artist as {nameof(Row.Artist)},
                   r.deleted_at is not null as {nameof(Row.Deleted)}, r.change_seq as {nameof(Row.ChangeSeq)}
            from recording_fingerprints r join characters c on c.id = r.recording_id
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

        _index.Remove(id.ToString(CultureInfo.InvariantCulture));
        return true;
    }

    protected override async Task AddAsync(NpgsqlConnection conn, IReadOnlyList<Row> rows, CancellationToken ct)
    {
        // The fingerprints (about 2 KiB a minute) are fetched only for references this node does not hold yet.
        var fingerprints = (await conn.QueryAsync<(long Id, byte[] Fingerprint)>(new CommandDefinition(
                "select id, fingerprint from recording_fingerprints where id = any(@ids)",
                new { ids = rows.Select(r => r.Id).ToArray() },
                cancellationToken: ct)))
            .ToDictionary(r => r.Id, r => r.Fingerprint);
        foreach (var row in rows)
        {
            if (fingerprints.TryGetValue(row.Id, out var bytes))
            {
                _index.Add(row.Id.ToString(CultureInfo.InvariantCulture), Values(bytes));
                _entries[row.Id] = new RecordingReference(row.PublicId, row.RecordingId, row.RightsHolderId, row.Title, row.Artist);
                _titles[row.RecordingId] = (row.Title, row.Artist);
            }
        }
    }

    /// <summary>The stored bytes back into sub-fingerprints: little-endian uint32s, as their SHA-256 was taken.</summary>
    internal static uint[] Values(byte[] bytes)
    {
        var values = new uint[bytes.Length / sizeof(uint)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * sizeof(uint)));
        }

        return values;
    }

    internal static byte[] Bytes(IReadOnlyList<uint> values)
    {
        var bytes = new byte[values.Count * sizeof(uint)];
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * sizeof(uint)), values[i]);
        }

        return bytes;
    }

    public void Dispose()
    {
        _index.Dispose();
        _titlesRefresh.Dispose();
    }

    internal sealed record Row : IChangeRow
    {
        public long Id { get; init; }
        public Guid PublicId { get; init; }
        public Guid RecordingId { get; init; }
        public Guid RightsHolderId { get; init; }
        public string Title { get; init; } = "";
        public string? Artist { get; init; }
        public bool Deleted { get; init; }
        public long ChangeSeq { get; init; }
    }
}
