using Dapper;
using Npgsql;

namespace Compliance.Settlements;

/// <summary>One currency of a period's reconciliation: revenue = allocated + platform remainder, and the mismatch (zero when it holds).</summary>
public sealed record CurrencyReconciliation(string Currency, long Lines, long RevenueMinor, long AllocatedMinor, long PlatformRemainderMinor, long MismatchMinor);

/// <summary>A statement's total in the reconciliation.</summary>
public sealed record HolderTotal(Guid RightsHolderId, string RightsHolderName, string Currency, long LineCount, long AmountMinor, long AdjustmentsMinor);

/// <summary>A stored total that recomputing the period did not give again.</summary>
public sealed record RecomputeDifference(string What, string Currency, Guid PartyId, long StoredMinor, long RecomputedMinor);

public sealed record PeriodReconciliation(
    Period Period, IReadOnlyList<CurrencyReconciliation> Currencies, IReadOnlyList<HolderTotal> Holders, bool Recomputed, IReadOnlyList<RecomputeDifference> Differences);

/// <summary>
/// The admin's check of a period. Revenue is summed afresh from the revenue lines; allocated from the statements;
/// the platform's remainder from the platform totals the run computed line by line (largest remainder, the platform
/// being one of the parties). The mismatch is revenue − allocated − remainder per currency and must be zero. With
/// <c>recompute</c>, the period is computed again from its lines under the rule the run recorded, and every stored
/// statement and platform total is compared with the new figure.
/// </summary>
public static class Reconciliation
{
    public static async Task<PeriodReconciliation?> ForPeriodAsync(NpgsqlConnection conn, long periodId, bool recompute, CancellationToken ct)
    {
        var period = await conn.QuerySingleOrDefaultAsync<Period>(new CommandDefinition(
            $"select {PeriodBook.Columns} from settlement_periods where id = @periodId", new { periodId }, cancellationToken: ct));
        if (period is null)
        {
            return null;
        }

        var currencies = (await conn.QueryAsync<CurrencyReconciliation>(new CommandDefinition(
            $"""
            with revenue as (select currency, count(*) as lines, sum(amount_minor)::bigint as total from revenue_lines where period_id = @periodId group by currency),
                 allocated as (select currency, sum(amount_minor)::bigint as total from settlement_statements where period_id = @periodId group by currency),
                 platform as (select currency, sum(platform_minor)::bigint as total from settlement_platform_totals where period_id = @periodId group by currency)
            select c.currency as {nameof(CurrencyReconciliation.Currency)}, coalesce(r.lines, 0) as {nameof(CurrencyReconciliation.Lines)},
                   coalesce(r.total, 0) as {nameof(CurrencyReconciliation.RevenueMinor)}, coalesce(a.total, 0) as {nameof(CurrencyReconciliation.AllocatedMinor)},
                   coalesce(p.total, 0) as {nameof(CurrencyReconciliation.PlatformRemainderMinor)},
                   coalesce(r.total, 0) - coalesce(a.total, 0) - coalesce(p.total, 0) as {nameof(CurrencyReconciliation.MismatchMinor)}
            from (select currency from revenue union select currency from allocated union select currency from platform) c
            left join revenue r using (currency) left join allocated a using (currency) left join platform p using (currency)
            order by c.currency
            """,
            new { periodId }, cancellationToken: ct))).ToList();
        var holders = (await conn.QueryAsync<HolderTotal>(new CommandDefinition(
            $"""
            select s.rights_holder_id as {nameof(HolderTotal.RightsHolderId)}, h.name as {nameof(HolderTotal.RightsHolderName)}, s.currency as {nameof(HolderTotal.Currency)},
                   s.line_count as {nameof(HolderTotal.LineCount)}, s.amount_minor as {nameof(HolderTotal.AmountMinor)}, s.adjustments_minor as {nameof(HolderTotal.AdjustmentsMinor)}
            from settlement_statements s join rights_holders h on h.id = s.rights_holder_id
            where s.period_id = @periodId order by s.currency, h.name, s.rights_holder_id
            """,
            new { periodId }, cancellationToken: ct))).ToList();

        var differences = new List<RecomputeDifference>();
        if (recompute && period.Status == "settled")
        {
            var rule = await conn.ExecuteScalarAsync<string>(new CommandDefinition(
                "select r.split_rule from settlement_periods p join settlement_runs r on r.id = p.settled_by_run where p.id = @periodId", new { periodId }, cancellationToken: ct));
            var again = await PeriodCalculator.ComputeAsync(conn, null, periodId, rule == "equal" ? SplitRule.Equal : SplitRule.SecondsOnScreen, ct);
            var stored = holders.ToDictionary(h => (h.RightsHolderId, h.Currency));
            foreach (var s in again.Statements)
            {
                stored.Remove((s.RightsHolderId, s.Currency), out var h);
                if (h is null || h.AmountMinor != s.AmountMinor || h.LineCount != s.LineCount)
                {
                    differences.Add(new RecomputeDifference("statement", s.Currency, s.RightsHolderId, h?.AmountMinor ?? 0, s.AmountMinor));
                }
            }

            differences.AddRange(stored.Values.Select(h => new RecomputeDifference("statement", h.Currency, h.RightsHolderId, h.AmountMinor, 0)));
            var platforms = (await conn.QueryAsync<(Guid Tenant, string Currency, long Platform)>(new CommandDefinition(
                "select tenant_id, currency, platform_minor from settlement_platform_totals where period_id = @periodId", new { periodId }, cancellationToken: ct)))
                .ToDictionary(p => (p.Tenant, p.Currency), p => p.Platform);
            foreach (var p in again.Platforms)
            {
                var had = platforms.Remove((p.TenantId, p.Currency), out var storedPlatform);
                if (!had || storedPlatform != p.PlatformMinor)
                {
                    differences.Add(new RecomputeDifference("platform", p.Currency, p.TenantId, storedPlatform, p.PlatformMinor));
                }
            }

            differences.AddRange(platforms.Select(p => new RecomputeDifference("platform", p.Key.Currency, p.Key.Tenant, p.Value, 0)));
        }

        return new PeriodReconciliation(period, currencies, holders, recompute && period.Status == "settled", differences);
    }
}
