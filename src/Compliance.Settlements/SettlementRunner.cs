using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Compliance.Settlements;

/// <summary>Who asked for a run.</summary>
public static class RunTriggers
{
    public const string Schedule = "schedule";
    public const string Admin = "admin";
}

/// <summary>The states of a settlement run.</summary>
public static class RunStatuses
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Abandoned = "abandoned";
    public const string Skipped = "skipped";
}

/// <summary>What asking to settle a period came to.</summary>
public enum SettleOutcome
{
    Settled,
    AlreadySettled,
    NotEnded,
    NotFound,
    Failed,
}

/// <summary>The result of <see cref="SettlementRunner.SettleAsync"/>: the outcome, and the run when one was recorded.</summary>
public sealed record SettleResult(SettleOutcome Outcome, Guid? RunId, Period? Period, string? Error = null);

/// <summary>
/// A hook between the steps of a run, inside its transaction. Production registers none; tests use it to kill a run
/// part-way (the transaction is then rolled back, and the rerun must produce the same statements).
/// </summary>
public interface ISettlementStepObserver
{
    ValueTask OnStepAsync(string step, NpgsqlConnection connection, CancellationToken ct);
}

/// <summary>
/// Settles a period: the one code path for the scheduled job and for an admin's run by hand. All of a period's writes
/// — its statements, the platform totals, the period marked settled and the run marked succeeded — are one
/// transaction, taken with the period's row locked, so a run killed at any point leaves nothing behind and the next
/// run produces exactly what an uninterrupted one would. Only the run's own record is written outside it (so a failed
/// or killed run is still listed). Two runs of one period (two nodes, the job and an admin) serialise on the row
/// lock; the second finds the period settled and records itself as skipped.
/// </summary>
public sealed partial class SettlementRunner(NpgsqlDataSource db, TimeProvider clock, ILogger<SettlementRunner> logger, IEnumerable<ISettlementStepObserver> observers)
{
    private static readonly string Node = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Settles, oldest first, every period that has ended by <paramref name="asOf"/> and is not settled.</summary>
    public async Task<IReadOnlyList<SettleResult>> SettleDueAsync(DateTimeOffset asOf, string trigger, SplitRule rule, CancellationToken ct)
    {
        List<DateTimeOffset> due;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            due = (await conn.QueryAsync<Period>(new CommandDefinition(
                $"select {PeriodBook.Columns} from settlement_periods where status <> 'settled' and period_end <= @asOf order by period_start",
                new { asOf }, cancellationToken: ct))).Select(p => p.Start).ToList();
        }

        var results = new List<SettleResult>();
        foreach (var start in due)
        {
            results.Add(await SettleAsync(start, trigger, rule, ct));
        }

        return results;
    }

    /// <summary>Settles the period that starts at <paramref name="periodStart"/>, once.</summary>
    public async Task<SettleResult> SettleAsync(DateTimeOffset periodStart, string trigger, SplitRule rule, CancellationToken ct)
    {
        Period? period;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            period = await conn.QuerySingleOrDefaultAsync<Period>(new CommandDefinition(
                $"select {PeriodBook.Columns} from settlement_periods where period_start = @periodStart", new { periodStart }, cancellationToken: ct));
        }

        if (period is null)
        {
            return new SettleResult(SettleOutcome.NotFound, null, null);
        }

        if (period.Status == "settled")
        {
            return new SettleResult(SettleOutcome.AlreadySettled, null, period);
        }

        if (period.End > clock.GetUtcNow())
        {
            return new SettleResult(SettleOutcome.NotEnded, null, period);
        }

        var runId = Guid.CreateVersion7();
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            await conn.ExecuteAsync(new CommandDefinition(
                "insert into settlement_runs (id, period_id, trigger, status, split_rule, node) values (@runId, @Id, @trigger, 'running', @rule, @Node)",
                new { runId, period.Id, trigger, rule = RuleName(rule), Node }, cancellationToken: ct));
        }

        try
        {
            var settled = await RunAsync(runId, period, rule, ct);
            return settled
                ? new SettleResult(SettleOutcome.Settled, runId, period with { Status = "settled" })
                : new SettleResult(SettleOutcome.AlreadySettled, runId, period with { Status = "settled" });
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or OverflowException or TimeoutException or OperationCanceledException)
        {
            LogRunFailed(logger, ex, period.Start, runId);
            // The run's transaction is gone with its connection; record why, on a fresh connection and without the
            // caller's token (a cancelled run is still recorded as failed).
            await using var conn = await db.OpenConnectionAsync(CancellationToken.None);
            await conn.ExecuteAsync(new CommandDefinition(
                "update settlement_runs set status = 'failed', finished_at = now(), error = @error where id = @runId and status = 'running'",
                new { runId, error = ex.GetType().Name + ": " + ex.Message }));
            if (ex is OperationCanceledException && ct.IsCancellationRequested)
            {
                throw;
            }

            return new SettleResult(SettleOutcome.Failed, runId, period, ex.Message);
        }
    }

    private async Task<bool> RunAsync(Guid runId, Period period, SplitRule rule, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // The period's row lock: concurrent runs wait here, and so do batches with lines for this period, which then
        // see it settled and carry their lines into the open period as late revenue.
        var locked = await conn.QuerySingleAsync<Period>(new CommandDefinition(
            $"select {PeriodBook.Columns} from settlement_periods where id = @Id for update", new { period.Id }, tx, cancellationToken: ct));
        await StepAsync("locked", conn, ct);
        if (locked.Status == "settled")
        {
            await conn.ExecuteAsync(new CommandDefinition(
                "update settlement_runs set status = 'skipped', finished_at = now(), error = 'the period was settled by another run' where id = @runId",
                new { runId }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
            return false;
        }

        // Holding the lock proves any other run of this period still marked running is dead (its transaction is gone).
        await conn.ExecuteAsync(new CommandDefinition(
            "update settlement_runs set status = 'abandoned', finished_at = now(), error = 'never finished (its node stopped or lost the database)' where period_id = @Id and status = 'running' and id <> @runId",
            new { period.Id, runId }, tx, cancellationToken: ct));

        var computed = await PeriodCalculator.ComputeAsync(conn, tx, period.Id, rule, ct);
        await StepAsync("computed", conn, ct);

        var statements = computed.Statements;
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into settlement_statements (id, period_id, rights_holder_id, currency, run_id, split_rule, line_count, revenue_minor, amount_minor, adjustments_minor)
            select s.id, @periodId, s.holder, s.currency, @runId, @rule, s.lines, s.revenue, s.amount, s.adjustments
            from unnest(@ids, @holders, @currencies, @lines, @revenues, @amounts, @adjustments) as s(id, holder, currency, lines, revenue, amount, adjustments)
            """,
            new
            {
                periodId = period.Id, runId, rule = RuleName(rule),
                ids = statements.Select(s => StatementId(period.Start, s.RightsHolderId, s.Currency)).ToArray(),
                holders = statements.Select(s => s.RightsHolderId).ToArray(),
                currencies = statements.Select(s => s.Currency).ToArray(),
                lines = statements.Select(s => s.LineCount).ToArray(),
                revenues = statements.Select(s => s.RevenueMinor).ToArray(),
                amounts = statements.Select(s => s.AmountMinor).ToArray(),
                adjustments = statements.Select(s => s.AdjustmentsMinor).ToArray(),
            },
            tx, cancellationToken: ct));
        await StepAsync("statements", conn, ct);

        var platforms = computed.Platforms;
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into settlement_platform_totals (period_id, tenant_id, currency, run_id, line_count, revenue_minor, allocated_minor, platform_minor)
            select @periodId, p.tenant, p.currency, @runId, p.lines, p.revenue, p.allocated, p.platform
            from unnest(@tenants, @currencies, @lines, @revenues, @allocated, @platform) as p(tenant, currency, lines, revenue, allocated, platform)
            """,
            new
            {
                periodId = period.Id, runId,
                tenants = platforms.Select(p => p.TenantId).ToArray(),
                currencies = platforms.Select(p => p.Currency).ToArray(),
                lines = platforms.Select(p => p.LineCount).ToArray(),
                revenues = platforms.Select(p => p.RevenueMinor).ToArray(),
                allocated = platforms.Select(p => p.AllocatedMinor).ToArray(),
                platform = platforms.Select(p => p.PlatformMinor).ToArray(),
            },
            tx, cancellationToken: ct));
        await StepAsync("platform_totals", conn, ct);

        var totals = platforms.GroupBy(p => p.Currency, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(
            g => g.Key,
            g => new RunCurrencyTotals(g.Sum(p => p.RevenueMinor), g.Sum(p => p.AllocatedMinor), g.Sum(p => p.PlatformMinor)));
        await conn.ExecuteAsync(new CommandDefinition(
            """
            update settlement_periods set status = 'settled', settled_at = now(), settled_by_run = @runId where id = @Id;
            update settlement_runs set status = 'succeeded', finished_at = now(), lines = @Lines, statements = @statementCount, totals = @totals::jsonb
            where id = @runId;
            """,
            new { period.Id, runId, computed.Lines, statementCount = statements.Count, totals = JsonSerializer.Serialize(totals, RunCurrencyTotals.Json) },
            tx, cancellationToken: ct));
        await StepAsync("before_commit", conn, ct);
        await tx.CommitAsync(ct);
        LogSettled(logger, period.Start, computed.Lines, statements.Count, clock.GetElapsedTime(started).TotalMilliseconds);
        return true;
    }

    /// <summary>
    /// A statement's id is a function of what it is (period, holder, currency): a rerun after a killed run, or the same
    /// data settled on another database, names the same statement the same way.
    /// </summary>
    public static Guid StatementId(DateTimeOffset periodStart, Guid rightsHolderId, string currency)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"compliance/statement/{periodStart.UtcTicks}/{rightsHolderId:N}/{currency}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // RFC 9562 version 8 (custom)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    public static string RuleName(SplitRule rule) => rule == SplitRule.Equal ? "equal" : "seconds_on_screen";

    private async ValueTask StepAsync(string step, NpgsqlConnection conn, CancellationToken ct)
    {
        foreach (var observer in observers)
        {
            await observer.OnStepAsync(step, conn, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Settled period {PeriodStart:O}: {Lines} revenue lines, {Statements} statements in {Milliseconds:F0} ms")]
    private static partial void LogSettled(ILogger logger, DateTimeOffset periodStart, long lines, int statements, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Settlement run {RunId} of period {PeriodStart:O} failed; nothing of it was kept, and the period can be run again")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, DateTimeOffset periodStart, Guid runId);
}

/// <summary>A run's totals in one currency, as stored on the run (camelCase JSON).</summary>
public sealed record RunCurrencyTotals(long RevenueMinor, long AllocatedMinor, long PlatformMinor)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
