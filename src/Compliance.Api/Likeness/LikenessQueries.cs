using Compliance.Api.Decisions;
using Dapper;
using Npgsql;

namespace Compliance.Api.Likeness;

/// <summary>A person's consent and the decisions about them, as the API and the console both read and write them; scoped by profile.</summary>
internal static class LikenessQueries
{
    internal const string ConsentColumns = $"""
        id as {nameof(Consent.Id)}, mode as {nameof(Consent.Mode)}, allowed_accounts as {nameof(Consent.AllowedAccounts)},
        allowed_tenants as {nameof(Consent.AllowedTenants)}, expires_at as {nameof(Consent.ExpiresAt)}, created_at as {nameof(Consent.CreatedAt)},
        revoked_at as {nameof(Consent.RevokedAt)}, revocation_reason as {nameof(Consent.RevocationReason)}
        """;

    /// <summary>Records a new consent setting; the newest one is in force (history is kept).</summary>
    public static async Task<Consent> SetConsentAsync(NpgsqlConnection conn, Guid profile, ConsentRequest request, CancellationToken ct) =>
        await conn.QuerySingleAsync<Consent>(new CommandDefinition(
            $"""
            insert into likeness_consents (id, profile_id, mode, allowed_accounts, allowed_tenants, expires_at)
            values (@id, @profile, @mode, @accounts, @tenants, @expires)
            returning {ConsentColumns}
            """,
            new
            {
                id = Guid.NewGuid(),
                profile,
                mode = request.Mode,
                accounts = (request.AllowedAccounts ?? []).Select(a => LikenessLedger.AccountKey(a.TenantId, a.Account.Trim())).Distinct().ToArray(),
                tenants = (request.AllowedTenants ?? []).Distinct().ToArray(),
                expires = request.ExpiresAt,
            },
            cancellationToken: ct));

    public static async Task<IReadOnlyList<Consent>> ConsentHistoryAsync(NpgsqlConnection conn, Guid profile, CancellationToken ct) =>
        [.. await conn.QueryAsync<Consent>(new CommandDefinition(
            $"select {ConsentColumns} from likeness_consents where profile_id = @profile order by created_at desc limit 1000",
            new { profile },
            cancellationToken: ct))];

    /// <summary>One page of the decisions that involved the person, showing only their own entity ids.</summary>
    public static async Task<DecisionPage> DecisionsAsync(NpgsqlConnection conn, Guid profile, int limit, long? cursor, CancellationToken ct)
    {
        // The person's entities: their profile, and any public-figure entry linked to it.
        var ids = (await conn.QueryAsync<Guid>(new CommandDefinition(
            "select @profile union select id from public_figures where profile_id = @profile", new { profile }, cancellationToken: ct))).ToArray();
        var page = await DecisionQueries.PageAsync(conn, new DecisionFilter(EntityIds: ids), limit, cursor, ct);
        // A decision also names other people and characters; their ids are theirs, not this person's to see.
        var own = ids.ToHashSet();
        return page with { Items = [.. page.Items.Select(d => d with { EntityIds = [.. d.EntityIds.Where(own.Contains)] })] };
    }
}
