using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Generations;

/// <summary>
/// A usage event as its rights holder sees it: which released generation used which work, on what terms. A work is a
/// character (seconds on screen) or a recording (seconds heard in the soundtrack); both are named by characterId and
/// characterName, as settlements name them, and told apart by workType.
/// </summary>
internal sealed record UsageEventView
{
    public Guid Id { get; init; }
    public Guid GenerationId { get; init; }
    public string WorkType { get; init; } = "";
    public Guid CharacterId { get; init; }
    public string CharacterName { get; init; } = "";
    public Guid TenantId { get; init; }
    public Guid GrantId { get; init; }
    public int RevenueShareBps { get; init; }
    public double SecondsOnScreen { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A generation as the likeness owner whose likeness it involved sees it (no prompt, no other people's ids).</summary>
internal sealed record LikenessGenerationView
{
    public Guid GenerationId { get; init; }
    public string State { get; init; } = "";
    public bool AskedAsCameo { get; init; }
    public Guid? PromptDecisionId { get; init; }
    public Guid? FrameDecisionId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// The other side of a generation: rights holders see the usage of their own characters (what settlements pay),
/// likeness owners see every generation that asked for them as a cameo or whose decisions involved them.
/// </summary>
internal static class GenerationFeeds
{
    public static IEndpointRouteBuilder MapGenerationFeeds(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/usage", Usage).RequireAuthorization(Roles.RightsHolder).WithTags("Generations").WithName("ListUsage")
            .WithSummary("Usage events of your characters and recordings in released generations, newest first; a full page carries a Link rel=\"next\" header with the cursor of the next.");
        app.MapGet("/v1/likeness/generations", LikenessGenerations).RequireAuthorization(Roles.LikenessOwner).WithTags("Likeness")
            .WithName("ListLikenessGenerations").WithSummary("Every generation that asked for you as a cameo or whose screening involved your likeness, newest first; a full page carries a Link rel=\"next\" header.");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<UsageEventView>>, ProblemHttpResult>> Usage(
        HttpContext http, NpgsqlDataSource db, int? limit, string? cursor, CancellationToken ct)
    {
        if (CheckPage(limit, cursor, out var after) is { } bad)
        {
            return bad;
        }

        var take = limit ?? GenerationQueries.DefaultLimit;
        await using var conn = await db.OpenConnectionAsync(ct);
        var page = await UsageAsync(conn, http.User.RequiredRightsHolderId(), take, ct, after);
        FeedCursor.LinkNext(http, take, page.Count, page.Count > 0 ? FeedCursor.After(page[^1].CreatedAt, page[^1].Id) : null);
        return TypedResults.Ok(page);
    }

    /// <summary>The paging rule of both feeds: limit 1–<see cref="GenerationQueries.MaxLimit"/>, a cursor from a Link header.</summary>
    private static ProblemHttpResult? CheckPage(int? limit, string? cursor, out FeedCursor? after)
    {
        after = null;
        if (limit is < 1 or > GenerationQueries.MaxLimit)
        {
            return Problems.BadRequest("Invalid limit.", $"limit must be between 1 and {GenerationQueries.MaxLimit}.");
        }

        if (cursor is not null && (after = FeedCursor.TryDecode(cursor)) is null)
        {
            return Problems.BadRequest("Bad cursor.", "cursor must be taken from the Link rel=\"next\" header of an earlier page.");
        }

        return null;
    }

    /// <summary>The usage of the holder's characters, newest first (the API and the console read it alike).</summary>
    internal static async Task<IReadOnlyList<UsageEventView>> UsageAsync(NpgsqlConnection conn, Guid holder, int limit, CancellationToken ct, FeedCursor? after = null) =>
        [.. await conn.QueryAsync<UsageEventView>(new CommandDefinition(
            $"""
            select u.id as {nameof(UsageEventView.Id)}, u.generation_id as {nameof(UsageEventView.GenerationId)}, u.character_id as {nameof(UsageEventView.CharacterId)}, c.kind as {nameof(UsageEventView.WorkType)},
                   c.canonical_name as {nameof(UsageEventView.CharacterName)}, u.tenant_id as {nameof(UsageEventView.TenantId)}, u.grant_id as {nameof(UsageEventView.GrantId)},
                   u.revenue_share_bps as {nameof(UsageEventView.RevenueShareBps)}, u.seconds_on_screen as {nameof(UsageEventView.SecondsOnScreen)},
                   u.created_at as {nameof(UsageEventView.CreatedAt)}
            from usage_events u join characters c on c.id = u.character_id
            where u.rights_holder_id = @holder
              and (@afterAt::timestamptz is null or (u.created_at, u.id) < (@afterAt, @afterId))
            order by u.created_at desc, u.id desc limit @limit
            """,
            new { holder, limit, afterAt = after?.CreatedAtUtc, afterId = after?.Id }, cancellationToken: ct))];

    private static async Task<Results<Ok<IReadOnlyList<LikenessGenerationView>>, ProblemHttpResult>> LikenessGenerations(
        HttpContext http, NpgsqlDataSource db, int? limit, string? cursor, CancellationToken ct)
    {
        if (CheckPage(limit, cursor, out var after) is { } bad)
        {
            return bad;
        }

        var take = limit ?? GenerationQueries.DefaultLimit;
        await using var conn = await db.OpenConnectionAsync(ct);
        var page = await LikenessGenerationsAsync(conn, http.User.RequiredLikenessProfileId(), take, ct, after);
        FeedCursor.LinkNext(http, take, page.Count, page.Count > 0 ? FeedCursor.After(page[^1].CreatedAt, page[^1].GenerationId) : null);
        return TypedResults.Ok(page);
    }

    /// <summary>The generations that involved the person, newest first (the API and the console read it alike).</summary>
    internal static async Task<IReadOnlyList<LikenessGenerationView>> LikenessGenerationsAsync(
        NpgsqlConnection conn, Guid profile, int limit, CancellationToken ct, FeedCursor? after = null) =>
        [.. await conn.QueryAsync<LikenessGenerationView>(new CommandDefinition(
            $"""
            select g.id as {nameof(LikenessGenerationView.GenerationId)}, g.state as {nameof(LikenessGenerationView.State)},
                   (@profile = any(g.cameos)) as {nameof(LikenessGenerationView.AskedAsCameo)},
                   g.prompt_decision_id as {nameof(LikenessGenerationView.PromptDecisionId)}, g.frame_decision_id as {nameof(LikenessGenerationView.FrameDecisionId)},
                   g.created_at as {nameof(LikenessGenerationView.CreatedAt)}
            from generation_jobs g
            where (@profile = any(g.cameos)
               or exists (select from decisions d where d.id in (g.prompt_decision_id, g.frame_decision_id) and @profile = any(d.entity_ids)))
              and (@afterAt::timestamptz is null or (g.created_at, g.id) < (@afterAt, @afterId))
            order by g.created_at desc, g.id desc limit @limit
            """,
            new { profile, limit, afterAt = after?.CreatedAtUtc, afterId = after?.Id }, cancellationToken: ct))];
}
