using Npgsql;

namespace Compliance.Settlements;

/// <summary>What one rights holder is owed for a period in one currency.</summary>
public sealed record StatementTotals(Guid RightsHolderId, string Currency, long LineCount, long RevenueMinor, long AmountMinor, long AdjustmentsMinor);

/// <summary>What one platform reported and keeps for a period in one currency.</summary>
public sealed record PlatformTotals(Guid TenantId, string Currency, long LineCount, long RevenueMinor, long AllocatedMinor, long PlatformMinor);

/// <summary>Every statement and platform total of one period, from its revenue lines.</summary>
public sealed record PeriodComputation(long Lines, IReadOnlyList<StatementTotals> Statements, IReadOnlyList<PlatformTotals> Platforms);

/// <summary>
/// Computes a period's statements in one streamed pass. First the parties of the period's generations are read (one
/// small row per usage event); then the period's revenue lines are streamed, without any join, and each is allocated
/// here by <see cref="Allocation"/> and added to running totals per (holder, currency) and (tenant, currency). Memory
/// holds the parties (a few dozen bytes per character per generation of the period) and those totals, never the
/// lines, so it does not grow with the number of lines.
/// </summary>
internal static class PeriodCalculator
{
    public static async Task<PeriodComputation> ComputeAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long periodId, SplitRule rule, CancellationToken ct)
    {
        var casts = await CastsAsync(conn, tx, periodId, ct);
        // The currency (three capital letters, a check constraint) comes as one integer, so reading a line allocates nothing.
        const string Sql = """
            select generation_id, tenant_id, amount_minor,
                   (ascii(substr(currency, 1, 1)) << 16) | (ascii(substr(currency, 2, 1)) << 8) | ascii(substr(currency, 3, 1)),
                   kind <> 'revenue'
            from revenue_lines where period_id = @periodId
            """;
        await using var cmd = new NpgsqlCommand(Sql, conn, tx);
        cmd.Parameters.AddWithValue("periodId", periodId);
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);

        var statements = new Dictionary<(Guid Holder, string Currency), StatementAccumulator>();
        var platforms = new Dictionary<(Guid Tenant, string Currency), PlatformAccumulator>();
        var currencies = new Dictionary<int, string>();
        var shares = new long[8];
        var seen = new HashSet<Guid>();
        long lines = 0;
        while (await reader.ReadAsync(ct))
        {
            lines++;
            var generation = reader.GetGuid(0);
            var tenant = reader.GetGuid(1);
            var amount = reader.GetInt64(2);
            var code = reader.GetInt32(3);
            if (!currencies.TryGetValue(code, out var currency))
            {
                currencies[code] = currency = new string([(char)(code >> 16), (char)((code >> 8) & 0xFF), (char)(code & 0xFF)]);
            }

            var adjustment = reader.GetBoolean(4);
            var cast = casts.TryGetValue(generation, out var c) ? c : Cast.Empty;
            var n = cast.Parties.Length;
            if (shares.Length < n)
            {
                shares = new long[n];
            }

            var platform = Allocation.Allocate(amount, cast.Parties, rule, shares);
            long allocated = 0;
            seen.Clear();
            for (var i = 0; i < n; i++)
            {
                allocated += shares[i];
                var key = (cast.Holders[i], currency);
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
                if (seen.Add(cast.Holders[i]))
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

    /// <summary>The licensed characters of every generation with a line in the period.</summary>
    private static async Task<Dictionary<Guid, Cast>> CastsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long periodId, CancellationToken ct)
    {
        const string Sql = """
            select u.generation_id, u.character_id, u.rights_holder_id, u.revenue_share_bps, u.seconds_on_screen
            from usage_events u
            where u.generation_id in (select generation_id from revenue_lines where period_id = @periodId)
            order by u.generation_id
            """;
        await using var cmd = new NpgsqlCommand(Sql, conn, tx);
        cmd.Parameters.AddWithValue("periodId", periodId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var casts = new Dictionary<Guid, Cast>();
        var parties = new List<Party>();
        var holders = new List<Guid>();
        var current = Guid.Empty;
        while (true)
        {
            var more = await reader.ReadAsync(ct);
            var generation = more ? reader.GetGuid(0) : Guid.Empty;
            if ((!more || generation != current) && parties.Count > 0)
            {
                casts[current] = new Cast([.. parties], [.. holders]);
                parties.Clear();
                holders.Clear();
            }

            if (!more)
            {
                return casts;
            }

            current = generation;
            parties.Add(new Party(reader.GetGuid(1), reader.GetInt32(3), reader.GetDouble(4)));
            holders.Add(reader.GetGuid(2));
        }
    }

    private sealed record Cast(Party[] Parties, Guid[] Holders)
    {
        public static readonly Cast Empty = new([], []);
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
