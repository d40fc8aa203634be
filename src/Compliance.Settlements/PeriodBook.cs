using Dapper;
using Npgsql;

namespace Compliance.Settlements;

/// <summary>A settlement period row.</summary>
public sealed record Period
{
    public long Id { get; init; }
    public DateTimeOffset Start { get; init; }
    public DateTimeOffset End { get; init; }
    public string Status { get; init; } = "";
}

/// <summary>
/// Finds and creates period rows inside one transaction. A period is created the first time a line needs it: the
/// configured calendar period, clipped to its neighbours so that a changed period length never makes two periods
/// overlap (the table's exclusion constraint holds that anyway).
/// </summary>
internal sealed class PeriodBook(NpgsqlConnection conn, NpgsqlTransaction tx, PeriodLength length)
{
    internal const string Columns = $"id as {nameof(Period.Id)}, period_start as {nameof(Period.Start)}, period_end as {nameof(Period.End)}, status as {nameof(Period.Status)}";

    private readonly Dictionary<long, Period> _seen = [];

    public async Task<Period> ContainingAsync(DateTimeOffset instant, CancellationToken ct)
    {
        if (_seen.Values.FirstOrDefault(p => instant >= p.Start && instant < p.End) is { } known)
        {
            return known;
        }

        var found = await FindAsync(instant, ct);
        if (found is null)
        {
            var calendar = SettlementPeriods.Containing(instant, length);
            await conn.ExecuteAsync(new CommandDefinition(
                """
                insert into settlement_periods (period_start, period_end)
                select greatest(@start, coalesce((select max(period_end) from settlement_periods where period_end <= @instant), @start)),
                       least(@end, coalesce((select min(period_start) from settlement_periods where period_start > @instant), @end))
                on conflict do nothing
                """,
                new { start = calendar.Start, end = calendar.End, instant }, tx, cancellationToken: ct));
            found = await FindAsync(instant, ct) ?? throw new InvalidOperationException($"No settlement period could be made for {instant:O}.");
        }

        _seen[found.Id] = found;
        return found;
    }

    /// <summary>Holds every period seen so far against settlement until the transaction ends (a run takes its period for update), and re-reads their status.</summary>
    public async Task LockAsync(CancellationToken ct)
    {
        var ids = _seen.Keys.Order().ToArray();
        foreach (var p in await conn.QueryAsync<Period>(new CommandDefinition(
                     $"select {Columns} from settlement_periods where id = any(@ids) order by id for share", new { ids }, tx, cancellationToken: ct)))
        {
            _seen[p.Id] = p;
        }
    }

    public Period Current(Period period) => _seen[period.Id];

    /// <summary>The period containing <paramref name="now"/>, held for share; null if it is not open (it has not ended, so nothing should have closed it).</summary>
    public async Task<Period?> OpenTodayAsync(DateTimeOffset now, CancellationToken ct)
    {
        var today = await ContainingAsync(now, ct);
        var locked = await conn.QuerySingleAsync<Period>(new CommandDefinition(
            $"select {Columns} from settlement_periods where id = @id for share", new { id = today.Id }, tx, cancellationToken: ct));
        _seen[locked.Id] = locked;
        return locked.Status == "open" ? locked : null;
    }

    public async Task<DateTimeOffset> StartOfAsync(long id, CancellationToken ct) =>
        _seen.TryGetValue(id, out var p) ? p.Start : (await conn.QuerySingleAsync<Period>(new CommandDefinition(
            $"select {Columns} from settlement_periods where id = @id", new { id }, tx, cancellationToken: ct))).Start;

    private Task<Period?> FindAsync(DateTimeOffset instant, CancellationToken ct) =>
        conn.QuerySingleOrDefaultAsync<Period>(new CommandDefinition(
            $"select {Columns} from settlement_periods where period_start <= @instant and period_end > @instant", new { instant }, tx, cancellationToken: ct));
}
