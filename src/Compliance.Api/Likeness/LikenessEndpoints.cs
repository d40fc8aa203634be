using Compliance.Api.Access;
using Compliance.Api.Catalog;
using Compliance.Api.Decisions;
using Compliance.Api.Infrastructure;
using Compliance.Api.Names;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Likeness;

/// <summary>
/// A person manages their own likeness: names and handles to look for, the accounts that are them,
/// who else may use their likeness, and every decision that involved it. Everything is scoped by the
/// profile in the caller's key. Names and handles are owned (docs/decisions/ADR-008-name-ownership.md): one
/// that reads like someone else's is refused with 409, and the decision feed shows only this person's ids.
/// </summary>
internal static class LikenessEndpoints
{
    internal const string ProfileColumns = $"""
        id as {nameof(Profile.Id)}, display_name as {nameof(Profile.DisplayName)}, name_variants as {nameof(Profile.NameVariants)},
        handles as {nameof(Profile.Handles)}, own_accounts as {nameof(Profile.OwnAccounts)}, created_at as {nameof(Profile.CreatedAt)}, updated_at as {nameof(Profile.UpdatedAt)}
        """;

    private const string ConsentColumns = $"""
        id as {nameof(Consent.Id)}, mode as {nameof(Consent.Mode)}, allowed_accounts as {nameof(Consent.AllowedAccounts)},
        allowed_tenants as {nameof(Consent.AllowedTenants)}, expires_at as {nameof(Consent.ExpiresAt)}, created_at as {nameof(Consent.CreatedAt)},
        revoked_at as {nameof(Consent.RevokedAt)}, revocation_reason as {nameof(Consent.RevocationReason)}
        """;

    public static RouteGroupBuilder MapLikeness(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/likeness").WithTags("Likeness").RequireAuthorization(Roles.LikenessOwner);
        group.MapGet("/profile", GetProfile).WithName("GetLikenessProfile").WithSummary("Your likeness profile.");
        group.MapPut("/profile", UpdateProfile).Validate<ProfileRequest>().WithName("UpdateLikenessProfile")
            .WithSummary("Set your display name, name variants, handles, and the platform accounts that are you.");
        group.MapPost("/consent", SetConsent).Validate<ConsentRequest>().WithName("SetLikenessConsent")
            .WithSummary("Decide who may use your likeness: only_me, allowlist (named accounts) or tenant (anyone on listed platforms); optional expiry.");
        group.MapGet("/consent", ConsentHistory).WithName("ListLikenessConsent").WithSummary("Your consent settings, newest first (history kept).");
        group.MapPost("/consent/revoke", RevokeConsent).Validate<RevokeConsentRequest>().WithName("RevokeLikenessConsent")
            .WithSummary("Revoke your current consent with immediate effect.");
        group.MapGet("/decisions", Decisions).WithName("ListLikenessDecisions")
            .WithSummary("Every decision that involved your likeness (allowed or blocked), newest first, keyset-paginated.");
        return group;
    }

    private static async Task<Results<Ok<Profile>, ProblemHttpResult>> GetProfile(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var profile = await conn.QuerySingleOrDefaultAsync<Profile>(new CommandDefinition(
            $"select {ProfileColumns} from likeness_profiles where id = @id", new { id = http.User.RequiredLikenessProfileId() }, cancellationToken: ct));
        return profile is null ? Problems.NotFound("Profile not found.") : TypedResults.Ok(profile);
    }

    private static async Task<Results<Ok<Profile>, ProblemHttpResult>> UpdateProfile(ProfileRequest request, HttpContext http, NpgsqlDataSource db, CatalogIndex catalog, CancellationToken ct)
    {
        var id = http.User.RequiredLikenessProfileId();
        var name = request.DisplayName!.Trim();
        var variants = (request.NameVariants ?? []).Select(v => v.Trim()).ToArray();
        var handles = (request.Handles ?? []).Select(v => v.Trim()).ToArray();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Lock order: the profile's row, then its names' keys, then the catalog-changed trigger of the update.
        if (await conn.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                "select id from likeness_profiles where id = @id for update", new { id }, tx, cancellationToken: ct)) is null)
        {
            return Problems.NotFound("Profile not found.");
        }

        // Someone else's name or handle, in any spelling the matcher would confuse with it, is theirs: 409.
        if (await NameClaims.SetAsync(conn, tx, NameClaimant.Profile(id), [name, .. variants, .. handles], ct) is { } conflict)
        {
            return conflict.ToProblem("profile");
        }

        var profile = await conn.QuerySingleAsync<Profile>(new CommandDefinition(
            $"""
            update likeness_profiles set display_name = @name, name_variants = @variants, handles = @handles, own_accounts = @accounts, updated_at = now()
            where id = @id
            returning {ProfileColumns}
            """,
            new
            {
                id,
                name,
                variants,
                handles,
                accounts = (request.OwnAccounts ?? []).Select(a => LikenessLedger.AccountKey(a.TenantId, a.Account.Trim())).Distinct().ToArray(),
            },
            tx,
            cancellationToken: ct));
        await tx.CommitAsync(ct);
        await catalog.RefreshAsync(ct);
        return TypedResults.Ok(profile);
    }

    private static async Task<Created<Consent>> SetConsent(ConsentRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var consent = await conn.QuerySingleAsync<Consent>(new CommandDefinition(
            $"""
            insert into likeness_consents (id, profile_id, mode, allowed_accounts, allowed_tenants, expires_at)
            values (@id, @profile, @mode, @accounts, @tenants, @expires)
            returning {ConsentColumns}
            """,
            new
            {
                id = Guid.NewGuid(),
                profile = http.User.RequiredLikenessProfileId(),
                mode = request.Mode,
                accounts = (request.AllowedAccounts ?? []).Select(a => LikenessLedger.AccountKey(a.TenantId, a.Account.Trim())).Distinct().ToArray(),
                tenants = (request.AllowedTenants ?? []).Distinct().ToArray(),
                expires = request.ExpiresAt,
            },
            cancellationToken: ct));
        return TypedResults.Created("/v1/likeness/consent", consent);
    }

    private static async Task<Ok<IEnumerable<Consent>>> ConsentHistory(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await conn.QueryAsync<Consent>(new CommandDefinition(
            $"select {ConsentColumns} from likeness_consents where profile_id = @profile order by created_at desc limit 1000",
            new { profile = http.User.RequiredLikenessProfileId() },
            cancellationToken: ct)));
    }

    private static async Task<Results<Ok<Consent>, ProblemHttpResult>> RevokeConsent(RevokeConsentRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var revoked = await conn.QuerySingleOrDefaultAsync<Consent>(new CommandDefinition(
            $"""
            update likeness_consents set revoked_at = now(), revocation_reason = @reason
            where id = (select id from likeness_consents where profile_id = @profile order by created_at desc, id limit 1) and revoked_at is null
            returning {ConsentColumns}
            """,
            new { profile = http.User.RequiredLikenessProfileId(), reason = request.Reason },
            cancellationToken: ct));
        return revoked is null ? Problems.Conflict("No current consent to revoke.") : TypedResults.Ok(revoked);
    }

    private static async Task<Results<Ok<DecisionPage>, ProblemHttpResult>> Decisions(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct, int limit = 50, long? cursor = null)
    {
        if (DecisionQueries.CheckPage(limit, cursor) is { } badPage)
        {
            return badPage;
        }

        var profile = http.User.RequiredLikenessProfileId();
        await using var conn = await db.OpenConnectionAsync(ct);
        // The person's entities: their profile, and any public-figure entry linked to it.
        var ids = (await conn.QueryAsync<Guid>(new CommandDefinition(
            "select @profile union select id from public_figures where profile_id = @profile", new { profile }, cancellationToken: ct))).ToArray();
        var page = await DecisionQueries.PageAsync(conn, new DecisionFilter(EntityIds: ids), limit, cursor, ct);
        // A decision also names other people and characters; their ids are theirs, not this person's to see.
        var own = ids.ToHashSet();
        return TypedResults.Ok(page with { Items = [.. page.Items.Select(d => d with { EntityIds = [.. d.EntityIds.Where(own.Contains)] })] });
    }
}
