using System.Text.Json;
using Compliance.Api.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Decisions;

/// <summary>One decision in a list: what was decided, for whom, by which rules, and where it sits in the chain.</summary>
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

/// <summary>A page of a list, and the cursor for the next page (null on the last).</summary>
internal sealed record DecisionPage(IReadOnlyList<DecisionSummary> Items, long? NextCursor);

/// <summary>What a list is narrowed to. Every field is optional; <see cref="EntityIds"/> matches decisions naming any of them.</summary>
internal sealed record DecisionFilter(
    Guid? TenantId = null, string? Outcome = null, DateTimeOffset? From = null, DateTimeOffset? To = null,
    string? Rule = null, Guid? EntityId = null, string? Classifier = null, Guid[]? EntityIds = null, string? Subject = null);

/// <summary>One decision as recorded, with its place in the hash chain.</summary>
internal sealed record DecisionDetail(long Sequence, string PrevSha256, string EntrySha256, JsonElement Decision);

/// <summary>
/// Every read of the decision log's decisions by the API, in one place: the lists (decisions, a person's
/// likeness feed), one decision, the export, and the one paging rule they share. Features call these
/// instead of writing their own SQL against <c>decisions</c>; only the log itself writes. The log also
/// holds review actions (kind <c>review</c>); the review queue reads those (Reviews/ReviewQueries.cs),
/// and every list here reads decisions only.
/// </summary>
internal static class DecisionQueries
{
    /// <summary>The page size when none is asked for.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The largest page any list returns; a larger <c>limit</c> is a 400, never silently clamped.</summary>
    public const int MaxLimit = 500;

    /// <summary>
    /// The one paging rule: <c>limit</c> is 1–<see cref="MaxLimit"/> and a <c>cursor</c>, when given, is a
    /// <c>nextCursor</c> from an earlier page (a positive sequence number). Anything else is a 400 problem.
    /// </summary>
    public static ProblemHttpResult? CheckPage(int limit, long? cursor)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Problems.BadRequest("Bad limit.", $"limit must be between 1 and {MaxLimit}.");
        }

        return cursor is < 1 ? Problems.BadRequest("Bad cursor.", "cursor must be the nextCursor of an earlier page.") : null;
    }

    /// <summary>
    /// One page, newest first (or oldest first, for a queue), keyset-paginated on the sequence number: a
    /// page never skips or repeats a decision however many are appended while a client pages.
    /// </summary>
    public static async Task<DecisionPage> PageAsync(NpgsqlConnection conn, DecisionFilter f, int limit, long? cursor, CancellationToken ct, bool oldestFirst = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        // Only constant SQL is chosen here; every value is a parameter.
        var (after, order) = oldestFirst ? ("seq > @cursor", "seq") : ("seq < @cursor", "seq desc");
        var items = (await conn.QueryAsync<DecisionSummary>(new CommandDefinition(
            $"""
            select id as {nameof(DecisionSummary.DecisionId)}, seq as {nameof(DecisionSummary.Sequence)}, tenant_id as {nameof(DecisionSummary.TenantId)},
                   subject as {nameof(DecisionSummary.Subject)}, outcome as {nameof(DecisionSummary.Outcome)}, policy_version as {nameof(DecisionSummary.PolicyVersion)},
                   rules as {nameof(DecisionSummary.Rules)}, entity_ids as {nameof(DecisionSummary.EntityIds)}, classifiers as {nameof(DecisionSummary.Classifiers)},
                   created_at as {nameof(DecisionSummary.CreatedAt)}
            from decisions
            where kind = 'decision'
              and (@cursor::bigint is null or {after})
              and (@TenantId::uuid is null or tenant_id = @TenantId)
              and (@Outcome::text is null or outcome = @Outcome)
              and (@Subject::text is null or subject = @Subject)
              and (@From::timestamptz is null or created_at >= @From)
              and (@To::timestamptz is null or created_at < @To)
              and (@Rule::text is null or rules @> array[@Rule::text])
              and (@EntityId::uuid is null or entity_ids @> array[@EntityId::uuid])
              and (@Classifier::text is null or classifiers @> array[@Classifier::text])
              and (@AnyOf::uuid[] is null or entity_ids && @AnyOf::uuid[])
            order by {order}
            limit @take
            """,
            new { cursor, f.TenantId, f.Outcome, f.Subject, From = f.From?.ToUniversalTime(), To = f.To?.ToUniversalTime(), f.Rule, f.EntityId, f.Classifier, AnyOf = f.EntityIds, take = limit + 1 },
            cancellationToken: ct))).ToList();
        long? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = items[^1].Sequence;
        }

        return new DecisionPage(items, next);
    }

    /// <summary>One decision as recorded, or null when there is none, or it belongs to a tenant other than <paramref name="tenantScope"/>.</summary>
    public static async Task<DecisionDetail?> GetAsync(NpgsqlConnection conn, Guid id, Guid? tenantScope, CancellationToken ct)
    {
        var row = await conn.QuerySingleOrDefaultAsync<(long Seq, string Payload, byte[] Prev, byte[] Entry)>(new CommandDefinition(
            "select seq, payload, prev_sha256, entry_sha256 from decisions where id = @id and kind = 'decision' and (@tenantScope::uuid is null or tenant_id = @tenantScope)",
            new { id, tenantScope },
            cancellationToken: ct));
        if (row.Payload is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(row.Payload);
        return new DecisionDetail(row.Seq, Convert.ToHexStringLower(row.Prev), Convert.ToHexStringLower(row.Entry), doc.RootElement.Clone());
    }

    /// <summary>
    /// Writes the log as NDJSON, oldest first, streamed row by row from one query: an export of
    /// millions of decisions never sits in memory. Review actions are exported too (with their
    /// <c>kind</c> and linked decision), so an export holds every entry of the tenant's part of the chain.
    /// </summary>
    public static async Task ExportAsync(NpgsqlDataSource db, Guid? tenantId, DateTimeOffset? from, DateTimeOffset? to, Stream body, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            """
            select seq, prev_sha256, entry_sha256, payload, kind, linked_decision_id from decisions
            where ($1::uuid is null or tenant_id = $1) and ($2::timestamptz is null or created_at >= $2) and ($3::timestamptz is null or created_at < $3)
            order by seq
            """,
            conn)
        {
            Parameters = { new() { Value = (object?)tenantId ?? DBNull.Value }, new() { Value = (object?)from?.ToUniversalTime() ?? DBNull.Value }, new() { Value = (object?)to?.ToUniversalTime() ?? DBNull.Value } },
        };
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await using var writer = new StreamWriter(body, new System.Text.UTF8Encoding(false));
        while (await reader.ReadAsync(ct))
        {
            // The payload is already the canonical JSON of the entry; it is embedded as is (a decision under
            // "decision", a review action under "review", with the decision it is about).
            await writer.WriteAsync($"{{\"sequence\":{reader.GetInt64(0)},\"prevSha256\":\"{Convert.ToHexStringLower((byte[])reader[1])}\",\"entrySha256\":\"{Convert.ToHexStringLower((byte[])reader[2])}\",");
            if (reader.GetString(4) == "decision")
            {
                await writer.WriteAsync("\"decision\":");
            }
            else
            {
                await writer.WriteAsync($"\"kind\":\"{reader.GetString(4)}\",\"linkedDecisionId\":\"{reader.GetGuid(5):D}\",\"review\":");
            }

            await writer.WriteAsync(reader.GetString(3));
            await writer.WriteAsync("}\n");
        }
    }

    /// <summary>The sequence number of a tenant's latest decision at or before <paramref name="atOrBefore"/>, if any.</summary>
    public static async Task<long?> LatestOfTenantAsync(NpgsqlDataSource db, Guid tenantId, long atOrBefore, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<long?>(new CommandDefinition(
            "select max(seq) from decisions where tenant_id = @tenantId and seq <= @atOrBefore", new { tenantId, atOrBefore }, cancellationToken: ct));
    }
}
