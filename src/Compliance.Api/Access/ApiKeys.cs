using Compliance.Api.Infrastructure;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Compliance.Api.Access;

/// <summary>A key's stored identity: what it may do and for whom. The secret itself is never stored.</summary>
internal sealed record ApiKeyRecord(Guid Id, string Role, Guid? TenantId, Guid? RightsHolderId, string Name)
{
    public Guid? LikenessProfileId { get; init; }

    /// <summary>The key that minted this one through the admin API; null for keys made at seeding or by an operator.</summary>
    public Guid? CreatedByKeyId { get; init; }
}

/// <summary>
/// API keys look like <c>cmp_&lt;prefix&gt;_&lt;secret&gt;</c>. The prefix finds the row; the 256-bit
/// random secret is stored only as its SHA-256 (a slow password hash buys nothing for a secret with
/// this much entropy, and would cost every request). Comparison is constant-time.
/// A key is valid while it is unrevoked and no key in its minting chain was revoked at or before the
/// moment it minted the next one (ADR-002).
/// </summary>
internal sealed class ApiKeyStore(NpgsqlDataSource dataSource, ChangeNumberReader changes)
{
    /// <summary>
    /// How deep a minting chain may be (admin → admin → … → key). Real chains are a few links; a
    /// longer one is refused rather than walked without end.
    /// </summary>
    private const int MaxChainDepth = 32;

    /// <summary>Creates a key outside the admin API (seeding, operators, tests): it has no minting key.</summary>
    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(
        string name, string role, Guid? tenantId, Guid? rightsHolderId, CancellationToken ct, Guid? likenessProfileId = null)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await InsertAsync(conn, null, new ApiKeyRecord(Guid.NewGuid(), role, tenantId, rightsHolderId, name) { LikenessProfileId = likenessProfileId }, ct);
    }

    /// <summary>
    /// Creates a key on behalf of <paramref name="minterKeyId"/>, or returns null when that key has been
    /// revoked by now. The minting key's row is share-locked for the insert, so a revocation racing this
    /// mint either commits first (and the mint is refused) or waits for the mint and then revokes the
    /// minted key with it (the revocation cascades).
    /// </summary>
    public async Task<(ApiKeyRecord Record, string Key)?> MintAsync(
        Guid minterKeyId, string name, string role, Guid? tenantId, Guid? rightsHolderId, Guid? likenessProfileId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var minterLive = await conn.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "select id from api_keys where id = @minterKeyId and revoked_at is null for share",
            new { minterKeyId },
            tx,
            cancellationToken: ct));
        if (minterLive is null)
        {
            return null;
        }

        var minted = await InsertAsync(conn, tx, new ApiKeyRecord(Guid.NewGuid(), role, tenantId, rightsHolderId, name)
        {
            LikenessProfileId = likenessProfileId,
            CreatedByKeyId = minterKeyId,
        }, ct);
        await tx.CommitAsync(ct);
        return minted;
    }

    private static async Task<(ApiKeyRecord Record, string Key)> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, ApiKeyRecord record, CancellationToken ct)
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into api_keys (id, prefix, secret_sha256, name, role, tenant_id, rights_holder_id, likeness_profile_id, created_by_key_id)
            values (@Id, @prefix, @hash, @Name, @Role, @TenantId, @RightsHolderId, @LikenessProfileId, @CreatedByKeyId)
            """,
            new { record.Id, prefix, hash = Hash(secret), record.Name, record.Role, record.TenantId, record.RightsHolderId, record.LikenessProfileId, record.CreatedByKeyId },
            tx,
            cancellationToken: ct));
        return (record, $"cmp_{prefix}_{secret}");
    }

    /// <summary>Whether <paramref name="presented"/> has the shape of a key at all; anything else is refused without a database read.</summary>
    public static bool IsWellFormed(string presented)
    {
        // cmp_<12>_<20..100>: exactly three parts (checked on every request, so without Split's array and strings).
        ArgumentNullException.ThrowIfNull(presented);
        var text = presented.AsSpan();
        if (!text.StartsWith("cmp_", StringComparison.Ordinal) || text.Length < 4 + 12 + 1 || text[4 + 12] != '_')
        {
            return false;
        }

        var prefix = text.Slice(4, 12);
        var secret = text[(4 + 12 + 1)..];
        return !prefix.Contains('_') && !secret.Contains('_') && secret.Length is >= 20 and <= 100;
    }

    /// <summary>
    /// The cluster-wide key-change number. It moves in the same transaction as every revocation, so a
    /// verification cached under an older number must not be trusted. Concurrent requests share one read (with the
    /// grant-change number, <see cref="ChangeNumberReader"/>), but only a read sent after they asked: a revocation
    /// committed before a request arrived is always seen by it.
    /// </summary>
    public async Task<long> ChangeNumberAsync(CancellationToken ct) => (await changes.CurrentAsync(ct)).Keys;

    /// <summary>The key's identity if the secret matches and the key is valid now (unrevoked, and minted by a key that was valid then).</summary>
    public async Task<ApiKeyRecord?> FindAsync(string presented, CancellationToken ct)
    {
        if (!IsWellFormed(presented))
        {
            return null;
        }

        var parts = presented.Split('_');
        var row = await FindRowAsync("prefix = @prefix", new { prefix = parts[1], maxDepth = MaxChainDepth }, ct);
        // The secret is compared even for an invalid key, so timing does not tell a revoked key from a wrong secret.
        if (row is null || !CryptographicOperations.FixedTimeEquals(row.SecretSha256, Hash(parts[2])) || !row.Valid)
        {
            return null;
        }

        return row.ToRecord();
    }

    /// <summary>
    /// The key's identity if the key with this id is valid now, by the same rule as <see cref="FindAsync"/>. The
    /// console's session holds only the id of the key it was opened with and asks this on every request, so a key
    /// revoked later closes its sessions too.
    /// </summary>
    public async Task<ApiKeyRecord?> FindValidByIdAsync(Guid id, CancellationToken ct)
    {
        var row = await FindRowAsync("id = @id", new { id, maxDepth = MaxChainDepth }, ct);
        return row is { Valid: true } ? row.ToRecord() : null;
    }

    /// <param name="anchor">Which key: one of the two constant conditions above, never input.</param>
    private async Task<KeyRow?> FindRowAsync(string anchor, object args, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        // One statement, one snapshot: the key and every key above it in its minting chain. A link is
        // broken when the minting key had been revoked at or before the moment the minted key was made.
        return await conn.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
            $"""
            with recursive chain (id, created_by_key_id, created_at, revoked_at, depth) as (
                select id, created_by_key_id, created_at, revoked_at, 0 from api_keys where {anchor}
                union all
                select p.id, p.created_by_key_id, p.created_at, p.revoked_at, c.depth + 1
                from chain c join api_keys p on p.id = c.created_by_key_id
                where c.depth < @maxDepth
            )
            select k.id as {nameof(KeyRow.Id)}, k.secret_sha256 as {nameof(KeyRow.SecretSha256)}, k.role as {nameof(KeyRow.Role)},
                   k.tenant_id as {nameof(KeyRow.TenantId)}, k.rights_holder_id as {nameof(KeyRow.RightsHolderId)}, k.name as {nameof(KeyRow.Name)},
                   k.likeness_profile_id as {nameof(KeyRow.LikenessProfileId)}, k.created_by_key_id as {nameof(KeyRow.CreatedByKeyId)},
                   k.revoked_at is null
                   and not exists (select from chain c join chain p on p.id = c.created_by_key_id where p.revoked_at <= c.created_at)
                   and not exists (select from chain c where c.depth = @maxDepth and c.created_by_key_id is not null)
                   as {nameof(KeyRow.Valid)}
            from api_keys k where k.{anchor}
            """,
            args,
            cancellationToken: ct));
    }

    /// <summary>
    /// Revokes a key and, when <paramref name="cascade"/>, every still-valid key minted from it, directly
    /// or through other minted keys. Returns the keys this call revoked (empty if all already were), or
    /// null when there is no such key.
    /// </summary>
    public async Task<IReadOnlyList<Guid>?> RevokeAsync(Guid id, bool cascade, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Lock first: a mint by this key that is already under way finishes before we go on, and the
        // next statement (a fresh snapshot) sees the key it minted.
        var locked = await conn.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "select id from api_keys where id = @id for update", new { id }, tx, cancellationToken: ct));
        if (locked is null)
        {
            return null;
        }

        // clock_timestamp(), not now(): taken after the lock, so it is later than any mint that committed before it.
        var revoked = (await conn.QueryAsync<Guid>(new CommandDefinition(
            """
            with recursive minted (id) as (
                select @id::uuid
                union
                select k.id from api_keys k join minted m on k.created_by_key_id = m.id where @cascade
            ), stamp as (select clock_timestamp() as at)
            update api_keys set revoked_at = (select at from stamp)
            where id in (select id from minted) and revoked_at is null
            returning id
            """,
            new { id, cascade },
            tx,
            cancellationToken: ct))).ToList();
        await tx.CommitAsync(ct);
        return revoked;
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '-').TrimEnd('=').Replace('-', 'x');

    private sealed record KeyRow
    {
        public Guid Id { get; init; }
        public byte[] SecretSha256 { get; init; } = [];
        public string Role { get; init; } = "";
        public Guid? TenantId { get; init; }
        public Guid? RightsHolderId { get; init; }
        public string Name { get; init; } = "";
        public Guid? LikenessProfileId { get; init; }
        public Guid? CreatedByKeyId { get; init; }
        public bool Valid { get; init; }

        public ApiKeyRecord ToRecord() => new(Id, Role, TenantId, RightsHolderId, Name)
        {
            LikenessProfileId = LikenessProfileId,
            CreatedByKeyId = CreatedByKeyId,
        };
    }
}
