using System.Security.Claims;
using System.Text.Json;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Storage.Decisions;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Decisions;

internal sealed record DecisionSummary
{
    public Guid DecisionId { get; init; }
    public long Sequence { get; init; }
    public Guid TenantId { get; init; }
    public string Subject { get; init; } = "";
    public string Outcome { get; init; } = "";
    public string PolicyVersion { get; init; } = "";
    public string[] Rules { get; init; } = [];
    public Guid[] EntityIds { get; init; } = [];
    public string[] Classifiers { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed record DecisionPage(IReadOnlyList<DecisionSummary> Items, long? NextCursor);

internal sealed record DecisionFilter(
    Guid? TenantId = null, string? Outcome = null, DateTimeOffset? From = null, DateTimeOffset? To = null,
    string? Rule = null, Guid? EntityId = null, string? Classifier = null, Guid[]? EntityIds = null, bool AwaitingReview = false);

internal sealed record DecisionDetail(long Sequence, string PrevSha256, string EntrySha256, JsonElement Decision);

/// <summary>
/// Reading the decision log. Auditors read every tenant's decisions (or one tenant's, if their key is
/// scoped to it); platforms read only their own. Nobody writes here: the log is appended to only by screening.
/// </summary>
internal static class DecisionEndpoints
{
    private const int MaxLimit = 500;
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
        group.MapGet("/verify", Verify).RequireAuthorization(Roles.Auditor).WithName("VerifyDecisionLog")
            .WithSummary("Re-walk the hash chain and name the first entry that was edited, deleted or reordered.");
        return group;
    }

    private static async Task<Results<Ok<DecisionPage>, ProblemHttpResult>> List(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        string? outcome = null, DateTimeOffset? from = null, DateTimeOffset? to = null, Guid? tenantId = null,
        string? rule = null, Guid? characterId = null, string? classifier = null, int limit = 50, long? cursor = null)
    {
        if (outcome is not null && !Outcomes.Contains(outcome))
        {
            return Problems.BadRequest("Unknown outcome.", "outcome must be allow, review or block.");
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Problems.BadRequest("Bad limit.", $"limit must be between 1 and {MaxLimit}.");
        }

        if (ScopedTenant(http.User) is { } scoped)
        {
            if (tenantId is not null && tenantId != scoped)
            {
                return TypedResults.Problem(title: "Not your tenant.", detail: "This key reads only its own tenant's decisions.", statusCode: StatusCodes.Status403Forbidden);
            }

            tenantId = scoped;
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var filter = new DecisionFilter(tenantId, outcome, from, to, rule, characterId, classifier);
        return TypedResults.Ok(await PageAsync(conn, filter, limit, cursor, ct));
    }

    /// <summary>One page of decisions, newest first (or oldest first, for a queue), keyset-paginated on the sequence number.</summary>
    internal static async Task<DecisionPage> PageAsync(NpgsqlConnection conn, DecisionFilter f, int limit, long? cursor, CancellationToken ct, bool oldestFirst = false)
    {
        // Only constant SQL is chosen here; every value is a parameter. Times may come with any offset; Npgsql writes
        // only UTC to timestamptz, and the instant is the same.
        var (after, order) = oldestFirst ? ("seq > @cursor", "seq") : ("seq < @cursor", "seq desc");
        f = f with { From = f.From?.ToUniversalTime(), To = f.To?.ToUniversalTime() };
        var items = (await conn.QueryAsync<DecisionSummary>(new CommandDefinition(
            $"""
            select id as {nameof(DecisionSummary.DecisionId)}, seq as {nameof(DecisionSummary.Sequence)}, tenant_id as {nameof(DecisionSummary.TenantId)},
                   subject as {nameof(DecisionSummary.Subject)}, outcome as {nameof(DecisionSummary.Outcome)}, policy_version as {nameof(DecisionSummary.PolicyVersion)},
                   rules as {nameof(DecisionSummary.Rules)}, entity_ids as {nameof(DecisionSummary.EntityIds)}, classifiers as {nameof(DecisionSummary.Classifiers)},
                   created_at as {nameof(DecisionSummary.CreatedAt)}
            from decisions
            where (@cursor::bigint is null or {after})
              and (@TenantId::uuid is null or tenant_id = @TenantId)
              and (@Outcome::text is null or outcome = @Outcome)
              and (@From::timestamptz is null or created_at >= @From)
              and (@To::timestamptz is null or created_at < @To)
              and (@Rule::text is null or rules @> array[@Rule::text])
              and (@EntityId::uuid is null or entity_ids @> array[@EntityId::uuid])
              and (@Classifier::text is null or classifiers @> array[@Classifier::text])
              and (@AnyOf::uuid[] is null or entity_ids && @AnyOf::uuid[])
              and (not @AwaitingReview or (outcome = 'review' and not exists (select from decision_reviews r where r.decision_id = decisions.id)))
            order by {order}
            limit @take
            """,
            new { cursor, f.TenantId, f.Outcome, f.From, f.To, f.Rule, f.EntityId, f.Classifier, AnyOf = f.EntityIds, f.AwaitingReview, take = limit + 1 },
            cancellationToken: ct))).ToList();
        long? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = items[^1].Sequence;
        }

        return new DecisionPage(items, next);
    }

    private static async Task<Results<Ok<DecisionDetail>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<(long Seq, Guid TenantId, string Payload, byte[] Prev, byte[] Entry)>(new CommandDefinition(
            "select seq, tenant_id, payload, prev_sha256, entry_sha256 from decisions where id = @id",
            new { id },
            cancellationToken: ct));
        // Another tenant's decision is indistinguishable from a missing one.
        if (row.Payload is null || (ScopedTenant(http.User) is { } scoped && row.TenantId != scoped))
        {
            return Problems.NotFound("Decision not found.");
        }

        using var doc = JsonDocument.Parse(row.Payload);
        return TypedResults.Ok(new DecisionDetail(row.Seq, Convert.ToHexStringLower(row.Prev), Convert.ToHexStringLower(row.Entry), doc.RootElement.Clone()));
    }

    private static Results<PushStreamHttpResult, ProblemHttpResult> Export(
        HttpContext http, NpgsqlDataSource db, Guid? tenantId = null, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        if (ScopedTenant(http.User) is { } scoped)
        {
            if (tenantId is not null && tenantId != scoped)
            {
                return TypedResults.Problem(title: "Not your tenant.", detail: "This key reads only its own tenant's decisions.", statusCode: StatusCodes.Status403Forbidden);
            }

            tenantId = scoped;
        }

        // Streamed row by row from one query: an export of millions of decisions never sits in memory.
        return TypedResults.Stream(async body =>
        {
            var ct = http.RequestAborted;
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(
                """
                select seq, prev_sha256, entry_sha256, payload from decisions
                where ($1::uuid is null or tenant_id = $1) and ($2::timestamptz is null or created_at >= $2) and ($3::timestamptz is null or created_at < $3)
                order by seq
                """,
                conn)
            {
                Parameters =
                {
                    new() { Value = (object?)tenantId ?? DBNull.Value },
                    new() { Value = (object?)from?.ToUniversalTime() ?? DBNull.Value },
                    new() { Value = (object?)to?.ToUniversalTime() ?? DBNull.Value },
                },
            };
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await using var writer = new StreamWriter(body, new System.Text.UTF8Encoding(false));
            while (await reader.ReadAsync(ct))
            {
                // The payload is already the canonical JSON of the decision; it is embedded as is.
                await writer.WriteAsync($"{{\"sequence\":{reader.GetInt64(0)},\"prevSha256\":\"{Convert.ToHexStringLower((byte[])reader[1])}\",\"entrySha256\":\"{Convert.ToHexStringLower((byte[])reader[2])}\",\"decision\":");
                await writer.WriteAsync(reader.GetString(3));
                await writer.WriteAsync("}\n");
            }
        }, "application/x-ndjson");
    }

    private static async Task<Ok<ChainVerification>> Verify(DecisionLog log, CancellationToken ct) =>
        TypedResults.Ok(await log.VerifyAsync(ct));

    /// <summary>Platform keys always, and auditor keys when scoped, see one tenant only.</summary>
    private static Guid? ScopedTenant(ClaimsPrincipal user) => user.TenantId();
}
