using System.Security.Claims;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Decisions;

/// <summary>
/// Reading the decision log. Auditors read every tenant's decisions (or one tenant's, if their key is
/// scoped to it); platforms read only their own. Nobody writes here: the log is appended to only by
/// screening. The SQL lives in <see cref="DecisionQueries"/>; verification and checkpoints in
/// <see cref="CheckpointEndpoints"/>.
/// </summary>
internal static class DecisionEndpoints
{
    private static readonly string[] Outcomes = ["allow", "review", "block"];

    public static RouteGroupBuilder MapDecisions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/decisions").WithTags("Decisions");
        group.MapGet("/", List).RequireAuthorization(Roles.DecisionReaders).WithName("ListDecisions")
            .WithSummary("List decisions, newest first, filtered by outcome, time, tenant, rule, character or classifier; keyset-paginated by cursor.");
        group.MapGet("/{id:guid}", Get).RequireAuthorization(Roles.DecisionReaders).WithName("GetDecision")
            .WithSummary("One decision with its full evidence and its place in the hash chain.");
        group.MapGet("/export", Export).RequireAuthorization(Roles.Auditor).WithName("ExportDecisions")
            .WithSummary("Stream decisions as NDJSON, oldest first (sequence, hashes and the full recorded decision), optionally by tenant and time range.");
        group.MapLogIntegrity();
        return group;
    }

    private static async Task<Results<Ok<DecisionPage>, ProblemHttpResult>> List(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        string? outcome = null, DateTimeOffset? from = null, DateTimeOffset? to = null, Guid? tenantId = null,
        string? rule = null, Guid? characterId = null, string? classifier = null, int limit = DecisionQueries.DefaultLimit, long? cursor = null)
    {
        if (outcome is not null && !Outcomes.Contains(outcome))
        {
            return Problems.BadRequest("Unknown outcome.", "outcome must be allow, review or block.");
        }

        if (DecisionQueries.CheckPage(limit, cursor) is { } badPage)
        {
            return badPage;
        }

        if (ScopedTenant(http.User) is { } scoped)
        {
            if (tenantId is not null && tenantId != scoped)
            {
                return NotYourTenant();
            }

            tenantId = scoped;
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var filter = new DecisionFilter(tenantId, outcome, from, to, rule, characterId, classifier);
        return TypedResults.Ok(await DecisionQueries.PageAsync(conn, filter, limit, cursor, ct));
    }

    private static async Task<Results<Ok<DecisionDetail>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        // Another tenant's decision is indistinguishable from a missing one.
        return await DecisionQueries.GetAsync(conn, id, ScopedTenant(http.User), ct) is { } detail
            ? TypedResults.Ok(detail)
            : Problems.NotFound("Decision not found.");
    }

    private static Results<PushStreamHttpResult, ProblemHttpResult> Export(
        HttpContext http, NpgsqlDataSource db, Guid? tenantId = null, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        if (ScopedTenant(http.User) is { } scoped)
        {
            if (tenantId is not null && tenantId != scoped)
            {
                return NotYourTenant();
            }

            tenantId = scoped;
        }

        return TypedResults.Stream(body => DecisionQueries.ExportAsync(db, tenantId, from, to, body, http.RequestAborted), "application/x-ndjson");
    }

    /// <summary>Platform keys always, and auditor keys when scoped, see one tenant only.</summary>
    internal static Guid? ScopedTenant(ClaimsPrincipal user) => user.TenantId();

    private static ProblemHttpResult NotYourTenant() =>
        TypedResults.Problem(title: "Not your tenant.", detail: "This key reads only its own tenant's decisions.", statusCode: StatusCodes.Status403Forbidden);
}
