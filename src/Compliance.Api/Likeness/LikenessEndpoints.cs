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

    private const string ConsentColumns = LikenessQueries.ConsentColumns;

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
        return TypedResults.Created("/v1/likeness/consent", await LikenessQueries.SetConsentAsync(conn, http.User.RequiredLikenessProfileId(), request, ct));
    }

    private static async Task<Ok<IEnumerable<Consent>>> ConsentHistory(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok<IEnumerable<Consent>>(await LikenessQueries.ConsentHistoryAsync(conn, http.User.RequiredLikenessProfileId(), ct));
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

        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await LikenessQueries.DecisionsAsync(conn, http.User.RequiredLikenessProfileId(), limit, cursor, ct));
    }
}
