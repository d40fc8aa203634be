using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;

namespace Compliance.Api.Access;

/// <summary>A key's stored identity: what it may do and for whom. The secret itself is never stored.</summary>
internal sealed record ApiKeyRecord(Guid Id, string Role, Guid? TenantId, Guid? RightsHolderId, string Name)
{
    public Guid? LikenessProfileId { get; init; }
}

/// <summary>
/// API keys look like <c>cmp_&lt;prefix&gt;_&lt;secret&gt;</c>. The prefix finds the row; the 256-bit
/// random secret is stored only as its SHA-256 (a slow password hash buys nothing for a secret with
/// this much entropy, and would cost every request). Comparison is constant-time.
/// </summary>
internal sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(
        string name, string role, Guid? tenantId, Guid? rightsHolderId, CancellationToken ct, Guid? likenessProfileId = null)
    {
        var id = Guid.NewGuid();
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into api_keys (id, prefix, secret_sha256, name, role, tenant_id, rights_holder_id, likeness_profile_id)
            values (@id, @prefix, @hash, @name, @role, @tenantId, @rightsHolderId, @likenessProfileId)
            """,
            new { id, prefix, hash = Hash(secret), name, role, tenantId, rightsHolderId, likenessProfileId },
            cancellationToken: ct));
        return (new ApiKeyRecord(id, role, tenantId, rightsHolderId, name) { LikenessProfileId = likenessProfileId }, $"cmp_{prefix}_{secret}");
    }

    public async Task<ApiKeyRecord?> FindAsync(string presented, CancellationToken ct)
    {
        var parts = presented.Split('_');
        if (parts.Length != 3 || parts[0] != "cmp" || parts[1].Length != 12 || parts[2].Length is < 20 or > 100)
        {
            return null;
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
            $"""
            select id as {nameof(KeyRow.Id)}, secret_sha256 as {nameof(KeyRow.SecretSha256)}, role as {nameof(KeyRow.Role)},
                   tenant_id as {nameof(KeyRow.TenantId)}, rights_holder_id as {nameof(KeyRow.RightsHolderId)}, name as {nameof(KeyRow.Name)},
                   likeness_profile_id as {nameof(KeyRow.LikenessProfileId)}
            from api_keys where prefix = @prefix and revoked_at is null
            """,
            new { prefix = parts[1] },
            cancellationToken: ct));
        if (row is null || !CryptographicOperations.FixedTimeEquals(row.SecretSha256, Hash(parts[2])))
        {
            return null;
        }

        return new ApiKeyRecord(row.Id, row.Role, row.TenantId, row.RightsHolderId, row.Name) { LikenessProfileId = row.LikenessProfileId };
    }

    public async Task<bool> RevokeAsync(Guid id, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(new CommandDefinition(
            "update api_keys set revoked_at = now() where id = @id and revoked_at is null", new { id }, cancellationToken: ct)) == 1;
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
    }
}
