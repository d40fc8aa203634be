using System.Text.Json;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Generation.Gates;
using Compliance.Settlements;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Compliance.Api.Settlements;

internal sealed record PeriodView
{
    public long Id { get; init; }
    public DateTimeOffset PeriodStart { get; init; }
    public DateTimeOffset PeriodEnd { get; init; }
    public string Status { get; init; } = "";
    public long Lines { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public DateTimeOffset? SettledAt { get; init; }
    public Guid? SettledByRun { get; init; }
}

internal sealed record MoneyTotals(string Currency, long RevenueMinor, string Revenue, long AllocatedMinor, string Allocated, long PlatformMinor, string Platform);

internal sealed record RunView(
    Guid Id, long PeriodId, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, string Trigger, string Status, string SplitRule, string Node,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, double? DurationMs, long? Lines, int? Statements, IReadOnlyList<MoneyTotals> Totals, string? Error);

internal sealed record CurrencyReconciliationView(
    string Currency, long Lines, long RevenueMinor, string Revenue, long AllocatedMinor, string Allocated,
    long PlatformRemainderMinor, string PlatformRemainder, long MismatchMinor, string Mismatch);

internal sealed record HolderTotalView(Guid RightsHolderId, string RightsHolderName, string Currency, long LineCount, long AmountMinor, string Amount, long AdjustmentsMinor, string Adjustments);

internal sealed record ReconciliationView(
    PeriodView Period, IReadOnlyList<CurrencyReconciliationView> Currencies, IReadOnlyList<HolderTotalView> Holders,
    bool Reconciled, bool Recomputed, IReadOnlyList<RecomputeDifference> Differences);

/// <summary>Admins run and close periods by hand, see the runs, and reconcile a period.</summary>
internal static class SettlementAdminEndpoints
{
    private const int MaxLimit = 500;

    public static RouteGroupBuilder MapSettlementAdmin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/admin/settlements").WithTags("Settlements").RequireAuthorization(Roles.Admin);
        group.MapGet("/periods", Periods).WithName("ListSettlementPeriods").WithSummary("Settlement periods, newest first, with their status and line counts.");
        group.MapPost("/periods/{id:long}/run", Run).WithName("RunSettlement")
            .WithSummary("Settle an ended period now, through the same code path as the scheduled job. 409 if it is settled or has not ended.");
        group.MapPost("/periods/{id:long}/close", Close).WithName("CloseSettlementPeriod")
            .WithSummary("Close an ended period: it takes no more revenue, and lines for it become late lines of the open period.");
        group.MapGet("/periods/{id:long}/reconciliation", Reconcile).WithName("ReconcileSettlementPeriod")
            .WithSummary("Totals by rights holder and currency, total revenue, allocated, platform remainder and the mismatch (zero); recompute=true recomputes every total from the lines.");
        group.MapGet("/runs", Runs).WithName("ListSettlementRuns").WithSummary("Settlement runs, newest first: status, counts, totals and duration.");
        return group;
    }

    private const string PeriodColumns = $"""
        p.id as {nameof(PeriodView.Id)}, p.period_start as {nameof(PeriodView.PeriodStart)}, p.period_end as {nameof(PeriodView.PeriodEnd)},
        p.status as {nameof(PeriodView.Status)}, (select count(*) from revenue_lines l where l.period_id = p.id) as {nameof(PeriodView.Lines)},
        p.closed_at as {nameof(PeriodView.ClosedAt)}, p.settled_at as {nameof(PeriodView.SettledAt)}, p.settled_by_run as {nameof(PeriodView.SettledByRun)}
        """;

    private static async Task<Results<Ok<IReadOnlyList<PeriodView>>, ProblemHttpResult>> Periods(NpgsqlDataSource db, string? status, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Problems.BadRequest("Bad limit.", $"limit must be between 1 and {MaxLimit}.");
        }

        if (status is not null and not ("open" or "closed" or "settled"))
        {
            return Problems.BadRequest("Bad status.", "status must be open, closed or settled.");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<PeriodView>(new CommandDefinition(
            $"select {PeriodColumns} from settlement_periods p where @status::text is null or p.status = @status order by p.period_start desc limit @limit",
            new { status, limit = limit ?? 50 }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<PeriodView>>(rows.ToList());
    }

    private static async Task<Results<Ok<RunView>, ProblemHttpResult>> Run(
        long id, NpgsqlDataSource db, SettlementRunner runner, IOptions<SettlementOptions> options, CancellationToken ct)
    {
        PeriodView? period;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            period = await conn.QuerySingleOrDefaultAsync<PeriodView>(new CommandDefinition(
                $"select {PeriodColumns} from settlement_periods p where p.id = @id", new { id }, cancellationToken: ct));
        }

        if (period is null)
        {
            return Problems.NotFound("Period not found.");
        }

        var result = await runner.SettleAsync(period.PeriodStart, RunTriggers.Admin, options.Value.SplitRule, ct);
        switch (result.Outcome)
        {
            case SettleOutcome.NotFound:
                return Problems.NotFound("Period not found.");
            case SettleOutcome.NotEnded:
                return Problems.Conflict("The period has not ended.", $"It ends at {result.Period!.End:O}; a period is settled only after it ends.");
            case SettleOutcome.AlreadySettled when result.RunId is null:
                return Problems.Conflict("The period is already settled.", "A period is settled once; late revenue goes into the next period's statements.");
            default:
                var run = await RunAsync(db, result.RunId!.Value, ct);
                return result.Outcome switch
                {
                    SettleOutcome.Settled => TypedResults.Ok(run!),
                    SettleOutcome.AlreadySettled => Problems.Conflict("The period is already settled.", $"Another run settled it first; this run ({result.RunId}) was skipped."),
                    _ => TypedResults.Problem(title: "The settlement run failed; nothing of it was kept.",
                        detail: $"Run {result.RunId}: {result.Error} The period is unsettled and can be run again.", statusCode: StatusCodes.Status503ServiceUnavailable),
                };
        }
    }

    private static async Task<Results<Ok<PeriodView>, ProblemHttpResult>> Close(long id, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var period = await conn.QuerySingleOrDefaultAsync<PeriodView>(new CommandDefinition(
            $"select {PeriodColumns} from settlement_periods p where p.id = @id for update", new { id }, tx, cancellationToken: ct));
        if (period is null)
        {
            return Problems.NotFound("Period not found.");
        }

        if (period.PeriodEnd > clock.GetUtcNow())
        {
            return Problems.Conflict("The period has not ended.", "Only an ended period can be closed: the current period is where late lines go.");
        }

        if (period.Status == "settled")
        {
            return Problems.Conflict("The period is already settled.", "A settled period is closed for good.");
        }

        await conn.ExecuteAsync(new CommandDefinition(
            "update settlement_periods set status = 'closed', closed_at = coalesce(closed_at, now()) where id = @id", new { id }, tx, cancellationToken: ct));
        var closed = await conn.QuerySingleAsync<PeriodView>(new CommandDefinition(
            $"select {PeriodColumns} from settlement_periods p where p.id = @id", new { id }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return TypedResults.Ok(closed);
    }

    private static async Task<Results<Ok<ReconciliationView>, ProblemHttpResult>> Reconcile(long id, NpgsqlDataSource db, bool? recompute, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await Reconciliation.ForPeriodAsync(conn, id, recompute ?? false, ct) is not { } r)
        {
            return Problems.NotFound("Period not found.");
        }

        var period = await conn.QuerySingleAsync<PeriodView>(new CommandDefinition(
            $"select {PeriodColumns} from settlement_periods p where p.id = @id", new { id }, cancellationToken: ct));
        var currencies = r.Currencies.Select(c => new CurrencyReconciliationView(c.Currency, c.Lines,
            c.RevenueMinor, Fmt(c.RevenueMinor, c.Currency), c.AllocatedMinor, Fmt(c.AllocatedMinor, c.Currency),
            c.PlatformRemainderMinor, Fmt(c.PlatformRemainderMinor, c.Currency), c.MismatchMinor, Fmt(c.MismatchMinor, c.Currency))).ToList();
        var holders = r.Holders.Select(h => new HolderTotalView(h.RightsHolderId, h.RightsHolderName, h.Currency, h.LineCount,
            h.AmountMinor, Fmt(h.AmountMinor, h.Currency), h.AdjustmentsMinor, Fmt(h.AdjustmentsMinor, h.Currency))).ToList();
        var reconciled = period.Status == "settled" && r.Currencies.All(c => c.MismatchMinor == 0) && r.Differences.Count == 0;
        return TypedResults.Ok(new ReconciliationView(period, currencies, holders, reconciled, r.Recomputed, r.Differences));
    }

    private static async Task<Results<Ok<IReadOnlyList<RunView>>, ProblemHttpResult>> Runs(NpgsqlDataSource db, long? periodId, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return Problems.BadRequest("Bad limit.", $"limit must be between 1 and {MaxLimit}.");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<RunRow>(new CommandDefinition(
            $"{RunSql} where @periodId::bigint is null or r.period_id = @periodId order by r.started_at desc, r.id desc limit @limit",
            new { periodId, limit = limit ?? 50 }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<RunView>>(rows.Select(ToView).ToList());
    }

    private static async Task<RunView?> RunAsync(NpgsqlDataSource db, Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition($"{RunSql} where r.id = @id", new { id }, cancellationToken: ct));
        return row is null ? null : ToView(row);
    }

    private const string RunSql = $"""
        select r.id as {nameof(RunRow.Id)}, r.period_id as {nameof(RunRow.PeriodId)}, p.period_start as {nameof(RunRow.PeriodStart)}, p.period_end as {nameof(RunRow.PeriodEnd)},
               r.trigger as {nameof(RunRow.Trigger)}, r.status as {nameof(RunRow.Status)}, r.split_rule as {nameof(RunRow.SplitRule)}, r.node as {nameof(RunRow.Node)},
               r.started_at as {nameof(RunRow.StartedAt)}, r.finished_at as {nameof(RunRow.FinishedAt)}, r.lines as {nameof(RunRow.Lines)},
               r.statements as {nameof(RunRow.Statements)}, r.totals::text as {nameof(RunRow.Totals)}, r.error as {nameof(RunRow.Error)}
        from settlement_runs r join settlement_periods p on p.id = r.period_id
        """;

    private static RunView ToView(RunRow r)
    {
        var totals = r.Totals is null ? [] : JsonSerializer.Deserialize<Dictionary<string, RunCurrencyTotals>>(r.Totals, JsonNames.Options) ?? [];
        return new RunView(r.Id, r.PeriodId, r.PeriodStart, r.PeriodEnd, r.Trigger, r.Status, r.SplitRule, r.Node, r.StartedAt, r.FinishedAt,
            r.FinishedAt is { } f ? (f - r.StartedAt).TotalMilliseconds : null, r.Lines, r.Statements,
            [.. totals.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new MoneyTotals(t.Key,
                t.Value.RevenueMinor, Fmt(t.Value.RevenueMinor, t.Key), t.Value.AllocatedMinor, Fmt(t.Value.AllocatedMinor, t.Key),
                t.Value.PlatformMinor, Fmt(t.Value.PlatformMinor, t.Key)))],
            r.Error);
    }

    private static string Fmt(long minor, string currency) => Currencies.IsKnown(currency) ? Currencies.Format(minor, currency) : minor.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed record RunRow
    {
        public Guid Id { get; init; }
        public long PeriodId { get; init; }
        public DateTimeOffset PeriodStart { get; init; }
        public DateTimeOffset PeriodEnd { get; init; }
        public string Trigger { get; init; } = "";
        public string Status { get; init; } = "";
        public string SplitRule { get; init; } = "";
        public string Node { get; init; } = "";
        public DateTimeOffset StartedAt { get; init; }
        public DateTimeOffset? FinishedAt { get; init; }
        public long? Lines { get; init; }
        public int? Statements { get; init; }
        public string? Totals { get; init; }
        public string? Error { get; init; }
    }
}
