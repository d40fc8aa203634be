using Dapper;
using Npgsql;

namespace Compliance.Api.Grants;

/// <summary>What a revocation found: the grant revoked now, one revoked before, or none of the holder's.</summary>
internal enum GrantRevocation
{
    Revoked,
    AlreadyRevoked,
    NotFound,
}

/// <summary>
/// A rights holder's grants as the API and the console both read and revoke them. Every statement is scoped by the
/// holder, so another holder's grant is indistinguishable from a missing one.
/// </summary>
internal static class GrantQueries
{
    /// <summary>The holder's grants, newest first: each grant, each change (a newer grant for the pair) and each revocation.</summary>
    public static async Task<IReadOnlyList<Grant>> ListAsync(NpgsqlConnection conn, Guid holder, Guid? characterId, Guid? recordingId, Guid? tenantId, CancellationToken ct) =>
        [.. await conn.QueryAsync<Grant>(new CommandDefinition(
            $"""
            select {GrantEndpoints.Columns} from grants
            where rights_holder_id = @holder
              and (@characterId::uuid is null or character_id = @characterId)
              and (@recordingId::uuid is null or character_id = @recordingId)
              and (@tenantId::uuid is null or tenant_id = @tenantId)
            order by created_at desc
            limit 1000
            """,
            new { holder, characterId, recordingId, tenantId },
            cancellationToken: ct))];

    /// <summary>Revokes one of the holder's grants with immediate effect: the next screening reads it revoked.</summary>
    public static async Task<(GrantRevocation Outcome, Grant? Grant)> RevokeAsync(
        NpgsqlConnection conn, Guid id, Guid holder, Guid keyId, string? reason, CancellationToken ct)
    {
        var revoked = await conn.QuerySingleOrDefaultAsync<Grant>(new CommandDefinition(
            $"""
            update grants set revoked_at = now(), revoked_by = @keyId, revocation_reason = @reason
            where id = @id and rights_holder_id = @holder and revoked_at is null
            returning {GrantEndpoints.Columns}
            """,
            new { id, holder, keyId, reason },
            cancellationToken: ct));
        if (revoked is not null)
        {
            return (GrantRevocation.Revoked, revoked);
        }

        var exists = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select from grants where id = @id and rights_holder_id = @holder)", new { id, holder }, cancellationToken: ct));
        return (exists ? GrantRevocation.AlreadyRevoked : GrantRevocation.NotFound, null);
    }
}
