using System.Globalization;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Settlements;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Settlements;

/// <summary>A statement as its rights holder reads it: minor units for machines, formatted amounts for people.</summary>
internal sealed record StatementView(
    Guid Id, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, string Currency, string SplitRule, long LineCount,
    long RevenueMinor, string Revenue, long AmountMinor, string Amount, long AdjustmentsMinor, string Adjustments, Guid RunId, DateTimeOffset CreatedAt)
{
    public static StatementView Of(Statement s) => new(
        s.Id, s.PeriodStart, s.PeriodEnd, s.Currency, s.SplitRule, s.LineCount,
        s.RevenueMinor, Currencies.Format(s.RevenueMinor, s.Currency), s.AmountMinor, Currencies.Format(s.AmountMinor, s.Currency),
        s.AdjustmentsMinor, Currencies.Format(s.AdjustmentsMinor, s.Currency), s.RunId, s.CreatedAt);
}

/// <summary>An SVG chart of earnings by period in one currency (currencies are never summed together).</summary>
internal sealed record EarningsChartView(string Currency, string Svg);

internal sealed record StatementList(IReadOnlyList<StatementView> Items, IReadOnlyList<EarningsChartView> Charts);

internal sealed record StatementLineView(
    string Kind, string LineId, Guid GenerationId, DateTimeOffset OccurredAt, DateTimeOffset OriginalPeriodStart, string? Adjusts,
    Guid CharacterId, string CharacterName, Guid GrantId, long RevenueMinor, string Revenue, int ShareBps, double SecondsOnScreen,
    long AmountMinor, string Amount);

internal sealed record StatementLinePage(IReadOnlyList<StatementLineView> Items, string? NextCursor);

/// <summary>Rights holders read their own statements: the list with a chart, each statement's lines, and a CSV. Another holder's statement is "not found".</summary>
internal static class StatementEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    public static RouteGroupBuilder MapStatements(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/statements").WithTags("Settlements").RequireAuthorization(Roles.RightsHolder);
        group.MapGet("/", List).WithName("ListStatements")
            .WithSummary("Your settlement statements, newest period first, with an SVG chart of earnings by period per currency.");
        group.MapGet("/chart.svg", Chart).WithName("GetEarningsChart").WithSummary("The earnings chart of one currency as image/svg+xml.");
        group.MapGet("/{id:guid}", Get).WithName("GetStatement").WithSummary("One of your statements.");
        group.MapGet("/{id:guid}/lines", Lines).WithName("ListStatementLines")
            .WithSummary("The statement's lines: period, generation, character, grant, revenue, share in bps, amount, kind (keyset paging by revenue line).");
        group.MapGet("/{id:guid}/lines.csv", Csv).WithName("DownloadStatementCsv").WithSummary("The statement's lines as RFC 4180 CSV.");
        return group;
    }

    private static async Task<Results<Ok<StatementList>, ProblemHttpResult>> List(HttpContext http, NpgsqlDataSource db, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Problems.BadRequest("Bad limit.", $"limit must be between 1 and {MaxLimit}.");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var statements = await Compliance.Settlements.Statements.ListAsync(conn, http.User.RequiredRightsHolderId(), limit ?? DefaultLimit, ct);
        var charts = statements.GroupBy(s => s.Currency, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new EarningsChartView(g.Key, EarningsChart.Render(g.Key, [.. g.Select(s => (s.PeriodStart, s.AmountMinor))])))
            .ToList();
        return TypedResults.Ok(new StatementList([.. statements.Select(StatementView.Of)], charts));
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> Chart(HttpContext http, NpgsqlDataSource db, string? currency, CancellationToken ct)
    {
        if (!Currencies.IsKnown(currency))
        {
            return Problems.BadRequest("Bad currency.", "currency must be an accepted ISO 4217 code, e.g. USD.");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var statements = await Compliance.Settlements.Statements.ListAsync(conn, http.User.RequiredRightsHolderId(), MaxLimit, ct);
        var svg = EarningsChart.Render(currency!, [.. statements.Where(s => s.Currency == currency).Select(s => (s.PeriodStart, s.AmountMinor))]);
        return TypedResults.Text(svg, "image/svg+xml");
    }

    private static async Task<Results<Ok<StatementView>, ProblemHttpResult>> Get(HttpContext http, NpgsqlDataSource db, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await Compliance.Settlements.Statements.GetAsync(conn, http.User.RequiredRightsHolderId(), id, ct) is { } s
            ? TypedResults.Ok(StatementView.Of(s))
            : Problems.NotFound("Statement not found.");
    }

    private static async Task<Results<Ok<StatementLinePage>, ProblemHttpResult>> Lines(
        HttpContext http, NpgsqlDataSource db, Guid id, int? limit, string? cursor, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Problems.BadRequest("Bad limit.", $"limit must be between 1 and {MaxLimit}.");
        }

        long after = 0;
        if (cursor is not null && (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 1))
        {
            return Problems.BadRequest("Bad cursor.", "Pass the nextCursor of a previous page.");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        if (await Compliance.Settlements.Statements.GetAsync(conn, http.User.RequiredRightsHolderId(), id, ct) is not { } statement)
        {
            return Problems.NotFound("Statement not found.");
        }

        var take = limit ?? DefaultLimit;
        var items = new List<StatementLineView>();
        long last = 0;
        var revenueLines = 0;
        await foreach (var line in Compliance.Settlements.Statements.LinesAsync(conn, statement, after, take, ct))
        {
            if (line.Sequence != last)
            {
                revenueLines++;
                last = line.Sequence;
            }

            items.Add(new StatementLineView(line.Kind, line.LineId, line.GenerationId, line.OccurredAt, line.OriginalPeriodStart, line.Adjusts,
                line.CharacterId, line.CharacterName, line.GrantId, line.RevenueMinor, Currencies.Format(line.RevenueMinor, statement.Currency),
                line.ShareBps, line.SecondsOnScreen, line.AmountMinor, Currencies.Format(line.AmountMinor, statement.Currency)));
        }

        // A full page of revenue lines may have a next one; the cursor is the last revenue line's position.
        var next = revenueLines == take ? last.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new StatementLinePage(items, next));
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Csv(HttpContext http, NpgsqlDataSource db, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await Compliance.Settlements.Statements.GetAsync(conn, http.User.RequiredRightsHolderId(), id, ct) is not { } statement)
        {
            return Problems.NotFound("Statement not found.");
        }

        http.Response.ContentType = "text/csv; charset=utf-8; header=present";
        http.Response.Headers.ContentDisposition =
            $"attachment; filename=\"statement-{statement.PeriodStart.UtcDateTime:yyyy-MM-dd}-{statement.Currency}-{statement.Id:N}.csv\"";
        // Streamed: a statement of millions of lines never sits in memory.
        await using var writer = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        await Compliance.Settlements.Statements.WriteCsvAsync(conn, statement, writer, ct);
        await writer.FlushAsync(ct);
        return TypedResults.Empty;
    }
}
