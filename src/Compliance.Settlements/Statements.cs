using System.Globalization;
using System.Runtime.CompilerServices;
using CsvHelper;
using CsvHelper.Configuration;
using Dapper;
using Npgsql;

namespace Compliance.Settlements;

/// <summary>A statement: what one rights holder was paid for one period in one currency.</summary>
public sealed record Statement
{
    public Guid Id { get; init; }
    public Guid RightsHolderId { get; init; }
    public DateTimeOffset PeriodStart { get; init; }
    public DateTimeOffset PeriodEnd { get; init; }
    public string Currency { get; init; } = "";
    public string SplitRule { get; init; } = "";
    public long LineCount { get; init; }
    public long RevenueMinor { get; init; }
    public long AmountMinor { get; init; }
    public long AdjustmentsMinor { get; init; }
    public Guid RunId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    internal long PeriodId { get; init; }
}

/// <summary>One line of a statement: one character of the holder in one revenue line, and what it earned.</summary>
public sealed record StatementLine
{
    /// <summary>The line's position in the store: the paging cursor.</summary>
    public long Sequence { get; init; }
    public string Kind { get; init; } = "";
    public string LineId { get; init; } = "";
    public Guid GenerationId { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    public DateTimeOffset OriginalPeriodStart { get; init; }
    public string? Adjusts { get; init; }
    public Guid CharacterId { get; init; }
    public string CharacterName { get; init; } = "";
    public Guid GrantId { get; init; }
    public long RevenueMinor { get; init; }
    public int ShareBps { get; init; }
    public double SecondsOnScreen { get; init; }
    public long AmountMinor { get; init; }
}

/// <summary>
/// Reads statements and their lines. A statement's lines are not copied at settlement: they are the period's revenue
/// lines (which never change) joined to the usage events (which never change), allocated by the same pure
/// <see cref="Allocation"/> under the split rule the statement records — so the lines shown, the CSV and the stored
/// totals are one computation, and the reconciliation report checks that they still agree.
/// </summary>
public static class Statements
{
    internal const string Columns = $"""
        s.id as {nameof(Statement.Id)}, s.rights_holder_id as {nameof(Statement.RightsHolderId)}, p.period_start as {nameof(Statement.PeriodStart)},
        p.period_end as {nameof(Statement.PeriodEnd)}, s.currency as {nameof(Statement.Currency)}, s.split_rule as {nameof(Statement.SplitRule)},
        s.line_count as {nameof(Statement.LineCount)}, s.revenue_minor as {nameof(Statement.RevenueMinor)}, s.amount_minor as {nameof(Statement.AmountMinor)},
        s.adjustments_minor as {nameof(Statement.AdjustmentsMinor)}, s.run_id as {nameof(Statement.RunId)}, s.created_at as {nameof(Statement.CreatedAt)},
        s.period_id as {nameof(Statement.PeriodId)}
        """;

    /// <summary>The holder's statements, newest period first.</summary>
    public static async Task<IReadOnlyList<Statement>> ListAsync(NpgsqlConnection conn, Guid holder, int limit, CancellationToken ct) =>
        (await conn.QueryAsync<Statement>(new CommandDefinition(
            $"""
            select {Columns} from settlement_statements s join settlement_periods p on p.id = s.period_id
            where s.rights_holder_id = @holder order by p.period_start desc, s.currency limit @limit
            """,
            new { holder, limit }, cancellationToken: ct))).ToList();

    /// <summary>One statement, only if it is <paramref name="holder"/>'s.</summary>
    public static Task<Statement?> GetAsync(NpgsqlConnection conn, Guid holder, Guid id, CancellationToken ct) =>
        conn.QuerySingleOrDefaultAsync<Statement>(new CommandDefinition(
            $"select {Columns} from settlement_statements s join settlement_periods p on p.id = s.period_id where s.id = @id and s.rights_holder_id = @holder",
            new { id, holder }, cancellationToken: ct));

    /// <summary>
    /// The statement's lines after <paramref name="afterSequence"/>, in store order then character id; at most
    /// <paramref name="maxRevenueLines"/> revenue lines (null: all of them, streamed).
    /// </summary>
    public static async IAsyncEnumerable<StatementLine> LinesAsync(
        NpgsqlConnection conn, Statement statement, long afterSequence, int? maxRevenueLines, [EnumeratorCancellation] CancellationToken ct)
    {
        var rule = statement.SplitRule == "equal" ? SplitRule.Equal : SplitRule.SecondsOnScreen;
        const string Sql = """
            with page as (
                select l.id from revenue_lines l
                where l.period_id = @period and l.currency = @currency and l.id > @after
                  and l.generation_id in (select generation_id from usage_events where rights_holder_id = @holder)
                order by l.id
                limit @limit
            )
            select l.id, l.kind, l.line_id, l.generation_id, l.occurred_at, o.period_start, a.line_id, l.amount_minor,
                   u.character_id, u.rights_holder_id, u.revenue_share_bps, u.seconds_on_screen, u.grant_id, c.canonical_name
            from page
            join revenue_lines l on l.id = page.id
            join settlement_periods o on o.id = l.occurred_period_id
            left join revenue_lines a on a.id = l.adjusts
            join usage_events u on u.generation_id = l.generation_id
            join characters c on c.id = u.character_id
            order by l.id, u.character_id
            """;
        await using var cmd = new NpgsqlCommand(Sql, conn);
        cmd.Parameters.AddWithValue("period", statement.PeriodId);
        cmd.Parameters.AddWithValue("currency", statement.Currency);
        cmd.Parameters.AddWithValue("after", afterSequence);
        cmd.Parameters.AddWithValue("holder", statement.RightsHolderId);
        cmd.Parameters.Add(new NpgsqlParameter("limit", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)maxRevenueLines ?? DBNull.Value });
        await using var reader = await cmd.ExecuteReaderAsync(ct);

        var rows = new List<(StatementLine Line, Guid Holder)>();
        var parties = new List<Party>();
        long current = -1;
        while (true)
        {
            var more = await reader.ReadAsync(ct);
            var sequence = more ? reader.GetInt64(0) : -2;
            if (sequence != current && rows.Count > 0)
            {
                var shares = new long[parties.Count];
                Allocation.Allocate(rows[0].Line.RevenueMinor, parties.ToArray(), rule, shares);
                for (var i = 0; i < rows.Count; i++)
                {
                    if (rows[i].Holder == statement.RightsHolderId)
                    {
                        yield return rows[i].Line with { AmountMinor = shares[i] };
                    }
                }

                rows.Clear();
                parties.Clear();
            }

            if (!more)
            {
                yield break;
            }

            current = sequence;
            var line = new StatementLine
            {
                Sequence = sequence,
                Kind = reader.GetString(1),
                LineId = reader.GetString(2),
                GenerationId = reader.GetGuid(3),
                OccurredAt = reader.GetFieldValue<DateTimeOffset>(4),
                OriginalPeriodStart = reader.GetFieldValue<DateTimeOffset>(5),
                Adjusts = reader.IsDBNull(6) ? null : reader.GetString(6),
                RevenueMinor = reader.GetInt64(7),
                CharacterId = reader.GetGuid(8),
                ShareBps = reader.GetInt32(10),
                SecondsOnScreen = reader.GetDouble(11),
                GrantId = reader.GetGuid(12),
                CharacterName = reader.GetString(13),
            };
            rows.Add((line, reader.GetGuid(9)));
            parties.Add(new Party(line.CharacterId, line.ShareBps, line.SecondsOnScreen));
        }
    }

    /// <summary>The CSV header, in column order.</summary>
    public static readonly string[] CsvColumns =
    [
        "period_start", "period_end", "currency", "kind", "line_id", "generation_id", "original_period_start", "adjusts", "occurred_at",
        "character_id", "character", "grant_id", "revenue", "share_bps", "seconds_on_screen", "amount",
    ];

    /// <summary>
    /// The whole statement as RFC 4180 CSV (CRLF line ends, fields quoted only when they must be), streamed line by
    /// line; amounts in the currency's minor-unit precision (<see cref="Currencies.Format"/>), times in UTC ISO 8601.
    /// </summary>
    public static async Task WriteCsvAsync(NpgsqlConnection conn, Statement statement, TextWriter output, CancellationToken ct)
    {
        var config = new CsvConfiguration(CultureInfo.InvariantCulture) { NewLine = "\r\n" };
        await using var csv = new CsvWriter(output, config, leaveOpen: true);
        foreach (var column in CsvColumns)
        {
            csv.WriteField(column);
        }

        await csv.NextRecordAsync();
        await foreach (var line in LinesAsync(conn, statement, 0, null, ct))
        {
            csv.WriteField(Iso(statement.PeriodStart));
            csv.WriteField(Iso(statement.PeriodEnd));
            csv.WriteField(statement.Currency);
            csv.WriteField(line.Kind);
            csv.WriteField(line.LineId);
            csv.WriteField(line.GenerationId.ToString());
            csv.WriteField(Iso(line.OriginalPeriodStart));
            csv.WriteField(line.Adjusts ?? "");
            csv.WriteField(Iso(line.OccurredAt));
            csv.WriteField(line.CharacterId.ToString());
            csv.WriteField(line.CharacterName);
            csv.WriteField(line.GrantId.ToString());
            csv.WriteField(Currencies.Format(line.RevenueMinor, statement.Currency));
            csv.WriteField(line.ShareBps.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(line.SecondsOnScreen.ToString("R", CultureInfo.InvariantCulture));
            csv.WriteField(Currencies.Format(line.AmountMinor, statement.Currency));
            await csv.NextRecordAsync();
        }

        await csv.FlushAsync();
    }

    public static string Iso(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
