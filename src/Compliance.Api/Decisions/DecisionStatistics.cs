using Dapper;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Compliance.Api.Decisions;

/// <summary>How many decisions one day had with one outcome, or under one rule.</summary>
internal sealed record DailyCount
{
    public DateTime Day { get; init; }
    public string Key { get; init; } = "";
    public long Count { get; init; }
}

/// <summary>A window's counts per UTC day, by outcome and by rule.</summary>
internal sealed record DailyCounts(IReadOnlyList<DailyCount> ByOutcome, IReadOnlyList<DailyCount> ByRule);

/// <summary>
/// Counts of decisions per UTC day, by outcome and by rule, for the charts. The log is append-only and a decision is
/// stamped when it is recorded, so a day that ended (with a margin for appends in flight) never changes: its counts are
/// read once per node and kept, and each request reads only the days not yet settled. At a million decisions a 90-day
/// chart is then a read of today's rows, not of the whole window (bench/README.md).
/// </summary>
internal sealed class DecisionStatistics(NpgsqlDataSource db, IMemoryCache cache, TimeProvider clock)
{
    public const int MaxDays = 90;

    /// <summary>How long after midnight a day's decisions may still be appended (group commit, clock skew between nodes).</summary>
    private static readonly TimeSpan Settling = TimeSpan.FromMinutes(5);

    public async Task<DailyCounts> CountAsync(Guid? tenant, DateTime firstDay, int days, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(days, MaxDays);
        var end = firstDay.Date.AddDays(days);
        var settledBefore = Min((clock.GetUtcNow().UtcDateTime - Settling).Date, end);
        var outcome = new List<DailyCount>();
        var rule = new List<DailyCount>();
        var missing = new List<DateTime>();
        for (var day = firstDay.Date; day < settledBefore; day = day.AddDays(1))
        {
            if (cache.TryGetValue(Key(tenant, day), out DailyCounts? kept))
            {
                outcome.AddRange(kept!.ByOutcome);
                rule.AddRange(kept.ByRule);
            }
            else
            {
                missing.Add(day);
            }
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        if (missing.Count > 0)
        {
            var read = await ReadAsync(conn, tenant, missing[0], missing[^1].AddDays(1), ct);
            foreach (var day in missing)
            {
                var settled = new DailyCounts([.. read.ByOutcome.Where(c => c.Day == day)], [.. read.ByRule.Where(c => c.Day == day)]);
                cache.Set(Key(tenant, day), settled, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromDays(1), Size = 1 });
                outcome.AddRange(settled.ByOutcome);
                rule.AddRange(settled.ByRule);
            }
        }

        if (settledBefore < end)
        {
            var live = await ReadAsync(conn, tenant, Max(settledBefore, firstDay.Date), end, ct);
            outcome.AddRange(live.ByOutcome);
            rule.AddRange(live.ByRule);
        }

        return new DailyCounts(outcome, rule);
    }

    private static async Task<DailyCounts> ReadAsync(NpgsqlConnection conn, Guid? tenant, DateTime from, DateTime to, CancellationToken ct)
    {
        var args = new { tenant, from = new DateTimeOffset(from, TimeSpan.Zero), to = new DateTimeOffset(to, TimeSpan.Zero) };
        // Both read only decisions_created_counts (created_at, including outcome, tenant and rules): no heap visits.
        var byOutcome = await conn.QueryAsync<DailyCount>(new CommandDefinition(
            $"""
            select date_trunc('day', created_at, 'UTC') at time zone 'UTC' as {nameof(DailyCount.Day)}, outcome as {nameof(DailyCount.Key)}, count(*) as {nameof(DailyCount.Count)}
            from decisions
            where created_at >= @from and created_at < @to and (@tenant::uuid is null or tenant_id = @tenant)
            group by 1, 2
            """,
            args,
            cancellationToken: ct));
        var byRule = await conn.QueryAsync<DailyCount>(new CommandDefinition(
            $"""
            select date_trunc('day', d.created_at, 'UTC') at time zone 'UTC' as {nameof(DailyCount.Day)}, r.rule as {nameof(DailyCount.Key)}, count(*) as {nameof(DailyCount.Count)}
            from decisions d cross join lateral unnest(d.rules) as r(rule)
            where d.created_at >= @from and d.created_at < @to and (@tenant::uuid is null or d.tenant_id = @tenant)
            group by 1, 2
            """,
            args,
            cancellationToken: ct));
        return new DailyCounts([.. byOutcome], [.. byRule]);
    }

    private static string Key(Guid? tenant, DateTime day) => $"decision-counts:{tenant?.ToString("N") ?? "all"}:{day:yyyy-MM-dd}";

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
