using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Grants;

/// <summary>
/// Rights holders grant, deny and revoke platforms' use of their works: characters and recordings alike, on the same
/// terms (a recording's grant decides its soundtrack matches as a character's decides its matches). A new grant supersedes
/// the previous one for the same character and platform; nothing is overwritten, so the history
/// of terms stays readable. Every change is visible to the very next screening request, because
/// screening reads grants from the database rather than from a cache.
/// </summary>
internal static class GrantEndpoints
{
    internal const string Columns = $"""
        id as {nameof(Grant.Id)}, character_id as {nameof(Grant.WorkId)},
        (select w.kind from characters w where w.id = grants.character_id) as {nameof(Grant.WorkType)}, tenant_id as {nameof(Grant.TenantId)},
        rights_holder_id as {nameof(Grant.RightsHolderId)}, kind as {nameof(Grant.Kind)}, revenue_share_bps as {nameof(Grant.RevenueShareBasisPoints)},
        attribution_required as {nameof(Grant.AttributionRequired)}, valid_from as {nameof(Grant.ValidFrom)}, valid_until as {nameof(Grant.ValidUntil)},
        disallowed_contexts as {nameof(Grant.DisallowedContexts)}, created_at as {nameof(Grant.CreatedAt)}, revoked_at as {nameof(Grant.RevokedAt)},
        revocation_reason as {nameof(Grant.RevocationReason)}
        """;

    public static RouteGroupBuilder MapGrants(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/grants").WithTags("Grants").RequireAuthorization(Roles.RightsHolder);
        group.MapPost("/", Create).Validate<GrantRequest>().WithName("CreateGrant")
            .WithSummary("Grant or deny a platform the use of one of your characters or recordings (supersedes the previous grant).");
        group.MapGet("/", List).WithName("ListGrants").WithSummary("List your grants, newest first, with history.");
        group.MapPost("/{id:guid}/revoke", Revoke).Validate<RevokeGrantRequest>().WithName("RevokeGrant")
            .WithSummary("Revoke a grant with immediate effect.");
        return group;
    }

    private static async Task<Results<Created<Grant>, ProblemHttpResult>> Create(GrantRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        var (workId, workType) = request.Work;
        await using var conn = await db.OpenConnectionAsync(ct);
        var owns = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select from characters where id = @workId and rights_holder_id = @holder and kind = @workType)",
            new { workId, holder, workType }, cancellationToken: ct));
        if (!owns)
        {
            return workType == WorkTypes.Recording
                ? Problems.NotFound("Recording not found.", "You can grant only recordings in your own catalog.")
                : Problems.NotFound("Character not found.", "You can grant only characters in your own catalog.");
        }

        var tenantExists = await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select from tenants where id = @id)", new { id = request.TenantId }, cancellationToken: ct));
        if (!tenantExists)
        {
            return Problems.NotFound("Tenant not found.", $"No platform tenant {request.TenantId}.");
        }

        var created = await conn.QuerySingleAsync<Grant>(new CommandDefinition(
            $"""
            insert into grants (id, character_id, tenant_id, rights_holder_id, kind, revenue_share_bps, attribution_required,
                                valid_from, valid_until, disallowed_contexts, created_by)
            values (@id, @workId, @TenantId, @holder, @Kind, @RevenueShareBasisPoints, @AttributionRequired,
                    @ValidFrom, @ValidUntil, @contexts, @keyId)
            returning {Columns}
            """,
            new
            {
                id = Guid.NewGuid(), workId, request.TenantId, holder, request.Kind, request.RevenueShareBasisPoints,
                request.AttributionRequired, request.ValidFrom, request.ValidUntil,
                contexts = (request.DisallowedContexts ?? []).Distinct().ToArray(), keyId = http.User.KeyId(),
            },
            cancellationToken: ct));
        return TypedResults.Created($"/v1/grants/{created.Id}", created);
    }

    private static async Task<Ok<IEnumerable<Grant>>> List(Guid? characterId, Guid? recordingId, Guid? tenantId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok<IEnumerable<Grant>>(await GrantQueries.ListAsync(conn, http.User.RequiredRightsHolderId(), characterId, recordingId, tenantId, ct));
    }

    private static async Task<Results<Ok<Grant>, ProblemHttpResult>> Revoke(Guid id, RevokeGrantRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var (outcome, grant) = await GrantQueries.RevokeAsync(conn, id, http.User.RequiredRightsHolderId(), http.User.KeyId(), request.Reason, ct);
        return outcome switch
        {
            GrantRevocation.Revoked => TypedResults.Ok(grant!),
            GrantRevocation.AlreadyRevoked => Problems.Conflict("Grant already revoked."),
            _ => Problems.NotFound("Grant not found."),
        };
    }
}
