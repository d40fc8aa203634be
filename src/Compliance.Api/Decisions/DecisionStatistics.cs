using Dapper;
using Npgsql;

namespace Compliance.Api.Decisions;

/// <summary>How many decisions one day had with one outcome, or under one rule.</summary>
internal sealed record DailyCount
{
    public DateTime Day { get; init; }
    public string Key { get; init; } = "";
    public long Count { get; init; }
}

/// <summary>
/// Counts of decisions per UTC day, by outcome and by rule, over a bounded window (at most <see cref="MaxDays"/> days):
/// the charts' reads. Like <see cref="DecisionQueries"/>, read-only and tenant-scoped when asked.
/// </summary>
internal static class DecisionStatistics
{
    public const int MaxDays = 90;

    public static async Task<IReadOnlyList<DailyCount>> ByOutcomeAsync(NpgsqlConnection conn, Guid? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        [.. await conn.QueryAsync<DailyCount>(new CommandDefinition(
            $"""
            select date_trunc('day', created_at, 'UTC') at time zone 'UTC' as {nameof(DailyCount.Day)}, outcome as {nameof(DailyCount.Key)}, count(*) as {nameof(DailyCount.Count)}
            from decisions
            where created_at >= @from and created_at < @to and (@tenant::uuid is null or tenant_id = @tenant)
            group by 1, 2 order by 1, 2
            """,
            new { tenant, from = from.ToUniversalTime(), to = to.ToUniversalTime() },
            cancellationToken: ct))];

    public static async Task<IReadOnlyList<DailyCount>> ByRuleAsync(NpgsqlConnection conn, Guid? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        [.. await conn.QueryAsync<DailyCount>(new CommandDefinition(
            $"""
            select date_trunc('day', d.created_at, 'UTC') at time zone 'UTC' as {nameof(DailyCount.Day)}, r.rule as {nameof(DailyCount.Key)}, count(*) as {nameof(DailyCount.Count)}
            from decisions d cross join lateral unnest(d.rules) as r(rule)
            where d.created_at >= @from and d.created_at < @to and (@tenant::uuid is null or d.tenant_id = @tenant)
            group by 1, 2 order by 1, 2
            """,
            new { tenant, from = from.ToUniversalTime(), to = to.ToUniversalTime() },
            cancellationToken: ct))];
}
