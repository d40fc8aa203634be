using Npgsql;

namespace Compliance.Settlements;

/// <summary>What one rights holder is owed for a period in one currency.</summary>
public sealed record StatementTotals(Guid RightsHolderId, string Currency, long LineCount, long RevenueMinor, long AmountMinor, long AdjustmentsMinor);

/// <summary>What one platform reported and keeps for a period in one currency.</summary>
public sealed record PlatformTotals(Guid TenantId, string Currency, long LineCount, long RevenueMinor, long AllocatedMinor, long PlatformMinor);

/// <summary>Every statement and platform total of one period, from its revenue lines.</summary>
public sealed record PeriodComputation(long Lines, IReadOnlyList<StatementTotals> Statements, IReadOnlyList<PlatformTotals> Platforms);

/// <summary>
/// Computes a period's statements in one streamed pass: PostgreSQL joins each revenue line of the period to its
/// generation's usage events (one row per line, the parties as arrays) and streams the rows; each line is allocated
/// here by <see cref="Allocation"/> and added to running totals per (holder, currency) and (tenant, currency). Memory
/// holds those totals only — a few per statement — never the lines, so it stays flat whatever the period's size.
/// </summary>
internal static class PeriodCalculator
{
    public static async Task<PeriodComputation> ComputeAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long periodId, SplitRule rule, CancellationToken ct)
    {
        // Usage events are restricted to the period's generations before grouping, so the join's hash table is as
        // small as the period, not as big as all history.
        const string Sql = """
            select l.tenant_id, l.amount_minor, l.currency, l.kind <> 'revenue' as adjustment,
                   p.characters, p.holders, p.bps, p.seconds
            from revenue_lines l
            left join (
                select u.generation_id, array_agg(u.character_id) as characters, array_agg(u.rights_holder_id) as holders,
                       array_agg(u.revenue_share_bps) as bps, array_agg(u.seconds_on_screen) as seconds
                from usage_events u
                where u.generation_id in (select generation_id from revenue_lines where period_id = @periodId)
                group by u.generation_id
            ) p on p.generation_id = l.generation_id
            where l.period_id = @periodId
            """;
        await using var cmd = new NpgsqlCommand(Sql, conn, tx);
        cmd.Parameters.AddWithValue("periodId", periodId);
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);

        var statements = new Dictionary<(Guid Holder, string Currency), StatementAccumulator>();
        var platforms = new Dictionary<(Guid Tenant, string Currency), PlatformAccumulator>();
        var parties = new Party[8];
        var shares = new long[8];
        var seen = new HashSet<Guid>();
        long lines = 0;
        while (await reader.ReadAsync(ct))
        {
            lines++;
            var tenant = reader.GetGuid(0);
            var amount = reader.GetInt64(1);
            var currency = reader.GetString(2);
            var adjustment = reader.GetBoolean(3);
            var n = 0;
            Guid[] holders = [];
            if (!await reader.IsDBNullAsync(4, ct))
            {
                var characters = reader.GetFieldValue<Guid[]>(4);
                holders = reader.GetFieldValue<Guid[]>(5);
                var bps = reader.GetFieldValue<int[]>(6);
                var seconds = reader.GetFieldValue<double[]>(7);
                n = characters.Length;
                if (parties.Length < n)
                {
                    parties = new Party[n];
                    shares = new long[n];
                }

                for (var i = 0; i < n; i++)
                {
                    parties[i] = new Party(characters[i], bps[i], seconds[i]);
                }
            }

            var platform = Allocation.Allocate(amount, parties.AsSpan(0, n), rule, shares);
            long allocated = 0;
            seen.Clear();
            for (var i = 0; i < n; i++)
            {
                allocated += shares[i];
                var key = (holders[i], currency);
                if (!statements.TryGetValue(key, out var s))
                {
                    statements[key] = s = new StatementAccumulator();
                }

                s.Lines++;
                s.Amount = checked(s.Amount + shares[i]);
                if (adjustment)
                {
                    s.Adjustments = checked(s.Adjustments + shares[i]);
                }

                // A holder with two characters in one video has two statement lines but was paid from one revenue line.
                if (seen.Add(holders[i]))
                {
                    s.Revenue = checked(s.Revenue + amount);
                }
            }

            if (!platforms.TryGetValue((tenant, currency), out var p))
            {
                platforms[(tenant, currency)] = p = new PlatformAccumulator();
            }

            p.Lines++;
            // Checked: a total beyond 9.2·10¹⁸ minor units fails the run loudly rather than wrapping.
            p.Revenue = checked(p.Revenue + amount);
            p.Allocated = checked(p.Allocated + allocated);
            p.Platform = checked(p.Platform + platform);
        }

        return new PeriodComputation(
            lines,
            [.. statements.Select(kv => new StatementTotals(kv.Key.Holder, kv.Key.Currency, kv.Value.Lines, kv.Value.Revenue, kv.Value.Amount, kv.Value.Adjustments))
                .OrderBy(s => s.RightsHolderId).ThenBy(s => s.Currency, StringComparer.Ordinal)],
            [.. platforms.Select(kv => new PlatformTotals(kv.Key.Tenant, kv.Key.Currency, kv.Value.Lines, kv.Value.Revenue, kv.Value.Allocated, kv.Value.Platform))
                .OrderBy(p => p.TenantId).ThenBy(p => p.Currency, StringComparer.Ordinal)]);
    }

    private sealed class StatementAccumulator
    {
        public long Lines;
        public long Revenue;
        public long Amount;
        public long Adjustments;
    }

    private sealed class PlatformAccumulator
    {
        public long Lines;
        public long Revenue;
        public long Allocated;
        public long Platform;
    }
}
