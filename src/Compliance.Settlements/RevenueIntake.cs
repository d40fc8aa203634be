using Dapper;
using Npgsql;

namespace Compliance.Settlements;

/// <summary>The two kinds of line a platform reports.</summary>
public static class RevenueLineTypes
{
    public const string Revenue = "revenue";
    public const string Adjustment = "adjustment";
}

/// <summary>What a line is on a statement.</summary>
public static class StatementLineKinds
{
    public const string Revenue = "revenue";
    public const string LateRevenue = "late_revenue";
    public const string Correction = "correction";
    public const string Reversal = "reversal";
}

/// <summary>One reported line, already checked for shape (the API's validator); the intake checks it against the database.</summary>
public sealed record RevenueLineInput(string LineId, Guid GenerationId, long AmountMinor, string Currency, string Type, string? Adjusts, DateTimeOffset OccurredAt);

/// <summary>What became of one line of an accepted batch.</summary>
public sealed record RevenueLineReceipt(string LineId, Guid GenerationId, string Status, string? Kind, DateTimeOffset? PeriodStart, DateTimeOffset? OriginalPeriodStart);

/// <summary>An accepted batch: every line stored or recognised as a repeat.</summary>
public sealed record RevenueBatchReceipt(int Accepted, int Duplicates, IReadOnlyList<RevenueLineReceipt> Lines);

/// <summary>Why a batch was refused as a whole; nothing of it was stored.</summary>
public sealed record RevenueBatchRefusal(int Status, string Title, string Detail);

/// <summary>
/// Takes a platform's batch of revenue lines in one transaction: all of it or none of it. A line is idempotent per
/// (tenant, generation, line id): the same line again is a no-op, the same id with anything different is refused.
/// Each stored line is given, once and for good, the period whose settlement pays it: the period it occurred in while
/// that period is open, otherwise (the period is closed or already settled) the open period of today, as late revenue
/// or an adjustment that names its original period.
/// </summary>
public sealed class RevenueIntake(NpgsqlDataSource db, TimeProvider clock)
{
    public const string Received = "accepted";
    public const string Duplicate = "duplicate";

    public async Task<(RevenueBatchReceipt? Receipt, RevenueBatchRefusal? Refusal)> TakeAsync(
        Guid tenant, IReadOnlyList<RevenueLineInput> lines, PeriodLength periodLength, TimeSpan futureTolerance, CancellationToken ct)
    {
        // PostgreSQL keeps microseconds: a repeat of a line must compare equal to what was stored.
        lines = [.. lines.Select(l => l with { OccurredAt = new DateTimeOffset(l.OccurredAt.UtcTicks - (l.OccurredAt.UtcTicks % 10), TimeSpan.Zero) })];
        var now = clock.GetUtcNow();
        if (lines.FirstOrDefault(l => l.OccurredAt > now + futureTolerance) is { } future)
        {
            return Refuse(422, "occurredAt is in the future.", $"Line {future.LineId} occurred at {future.OccurredAt:O}, after this server's clock ({now:O}).");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        // 1. Every generation must be this platform's and released; another tenant's is "not found", as everywhere.
        var generationIds = lines.Select(l => l.GenerationId).Distinct().ToArray();
        var generations = (await conn.QueryAsync<(Guid Id, Guid TenantId, string State, DateTimeOffset CreatedAt)>(new CommandDefinition(
            "select id, tenant_id, state, created_at from generation_jobs where id = any(@generationIds)",
            new { generationIds }, tx, cancellationToken: ct))).ToDictionary(g => g.Id);
        foreach (var id in generationIds)
        {
            if (!generations.TryGetValue(id, out var g) || g.TenantId != tenant)
            {
                return Refuse(404, "Unknown generation.", $"No generation {id}.");
            }

            if (g.State != "released")
            {
                return Refuse(422, "Generation not released.", $"Generation {id} is {g.State}: revenue is reported only for released videos.");
            }
        }

        if (lines.FirstOrDefault(l => l.OccurredAt < generations[l.GenerationId].CreatedAt) is { } early)
        {
            return Refuse(422, "occurredAt is before the generation existed.", $"Line {early.LineId} occurred at {early.OccurredAt:O}, before generation {early.GenerationId} was created.");
        }

        // 2. One currency per generation, pinned by its first line; the pin rows also serialise concurrent batches
        //    for the same generation (currency, duplicates and adjustment totals are then checked race-free).
        if (lines.GroupBy(l => l.GenerationId).FirstOrDefault(g => g.Select(l => l.Currency).Distinct().Count() > 1) is { } mixed)
        {
            return Refuse(422, "Currency mismatch.", $"The batch reports generation {mixed.Key} in {string.Join(" and ", mixed.Select(l => l.Currency).Distinct())}; a generation's revenue is in one currency.");
        }

        var pins = lines.DistinctBy(l => l.GenerationId).ToArray();
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into generation_currencies (generation_id, currency)
            select * from unnest(@ids, @currencies) order by 1
            on conflict (generation_id) do nothing
            """,
            new { ids = pins.Select(p => p.GenerationId).ToArray(), currencies = pins.Select(p => p.Currency).ToArray() }, tx, cancellationToken: ct));
        var pinned = (await conn.QueryAsync<(Guid GenerationId, string Currency)>(new CommandDefinition(
            "select generation_id, currency from generation_currencies where generation_id = any(@generationIds) order by generation_id for update",
            new { generationIds }, tx, cancellationToken: ct))).ToDictionary(p => p.GenerationId, p => p.Currency);
        if (lines.FirstOrDefault(l => pinned[l.GenerationId] != l.Currency) is { } wrongCurrency)
        {
            return Refuse(422, "Currency mismatch.", $"Generation {wrongCurrency.GenerationId} has revenue in {pinned[wrongCurrency.GenerationId]}; line {wrongCurrency.LineId} is in {wrongCurrency.Currency}.");
        }

        // 3. Lines already stored: the same line is a repeat, the same id with another content a conflict.
        var stored = (await conn.QueryAsync<StoredLine>(new CommandDefinition(
            $"""
            select l.id as {nameof(StoredLine.Id)}, l.generation_id as {nameof(StoredLine.GenerationId)}, l.line_id as {nameof(StoredLine.LineId)},
                   l.line_type as {nameof(StoredLine.Type)}, l.amount_minor as {nameof(StoredLine.AmountMinor)}, l.currency as {nameof(StoredLine.Currency)},
                   l.occurred_at as {nameof(StoredLine.OccurredAt)}, a.line_id as {nameof(StoredLine.Adjusts)}, l.kind as {nameof(StoredLine.Kind)},
                   p.period_start as {nameof(StoredLine.PeriodStart)}, o.period_start as {nameof(StoredLine.OriginalPeriodStart)}
            from revenue_lines l
            join unnest(@generations, @lineIds) as w(generation_id, line_id) on w.generation_id = l.generation_id and w.line_id = l.line_id
            join settlement_periods p on p.id = l.period_id
            join settlement_periods o on o.id = l.occurred_period_id
            left join revenue_lines a on a.id = l.adjusts
            where l.tenant_id = @tenant
            """,
            new { tenant, generations = lines.Select(l => l.GenerationId).ToArray(), lineIds = lines.Select(l => l.LineId).ToArray() }, tx, cancellationToken: ct)))
            .ToDictionary(s => (s.GenerationId, s.LineId));
        var receipts = new RevenueLineReceipt?[lines.Count];
        var fresh = new List<int>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (stored.TryGetValue((line.GenerationId, line.LineId), out var s))
            {
                if (!s.SameAs(line))
                {
                    return Refuse(409, "Line id reused with a different line.",
                        $"Line {line.LineId} of generation {line.GenerationId} was reported as {s.Describe()}; a reported line is changed only by a new adjustment line.");
                }

                receipts[i] = new RevenueLineReceipt(line.LineId, line.GenerationId, Duplicate, s.Kind, s.PeriodStart, s.OriginalPeriodStart);
            }
            else
            {
                fresh.Add(i);
            }
        }

        // 4. Adjustments change a stored revenue line of the same generation and may not take it below zero.
        var adjusted = new Dictionary<(Guid, string), AdjustedLine>();
        var adjustmentLines = fresh.Select(i => lines[i]).Where(l => l.Type == RevenueLineTypes.Adjustment).ToList();
        if (adjustmentLines.Count > 0)
        {
            adjusted = (await conn.QueryAsync<AdjustedLine>(new CommandDefinition(
                $"""
                select l.id as {nameof(AdjustedLine.Id)}, l.generation_id as {nameof(AdjustedLine.GenerationId)}, l.line_id as {nameof(AdjustedLine.LineId)},
                       l.line_type as {nameof(AdjustedLine.Type)}, l.occurred_period_id as {nameof(AdjustedLine.OccurredPeriodId)},
                       l.amount_minor + coalesce((select sum(a.amount_minor) from revenue_lines a where a.adjusts = l.id), 0)::bigint as {nameof(AdjustedLine.NetMinor)}
                from revenue_lines l
                join unnest(@generations, @lineIds) as w(generation_id, line_id) on w.generation_id = l.generation_id and w.line_id = l.line_id
                where l.tenant_id = @tenant
                """,
                new { tenant, generations = adjustmentLines.Select(l => l.GenerationId).ToArray(), lineIds = adjustmentLines.Select(l => l.Adjusts!).ToArray() },
                tx, cancellationToken: ct))).ToDictionary(a => (a.GenerationId, a.LineId));
        }

        var kinds = new Dictionary<int, (string Kind, long? AdjustsId, long? AdjustedPeriodId)>();
        foreach (var i in fresh)
        {
            var line = lines[i];
            if (line.Type == RevenueLineTypes.Revenue)
            {
                kinds[i] = (StatementLineKinds.Revenue, null, null);
                continue;
            }

            if (!adjusted.TryGetValue((line.GenerationId, line.Adjusts!), out var target) || target.Type != RevenueLineTypes.Revenue)
            {
                return Refuse(422, "Adjustment of an unknown line.",
                    $"Line {line.LineId} adjusts {line.Adjusts}, which is not a stored revenue line of generation {line.GenerationId} (report the line first; adjustments adjust revenue lines only).");
            }

            var net = target.NetMinor + line.AmountMinor;
            if (net < 0)
            {
                return Refuse(422, "Adjustment below zero.",
                    $"Line {line.LineId} would take line {line.Adjusts} to {net} minor units; a line's revenue plus its adjustments cannot be negative.");
            }

            target.NetMinor = net;
            kinds[i] = (net == 0 ? StatementLineKinds.Reversal : StatementLineKinds.Correction, target.Id, target.OccurredPeriodId);
        }

        // 5. Each new line's period: where it occurred while that period is open, otherwise today's (late).
        var periods = new PeriodBook(conn, tx, periodLength);
        var assigned = new Dictionary<int, (Period Occurred, Period Paid)>();
        foreach (var i in fresh)
        {
            assigned[i] = (await periods.ContainingAsync(lines[i].OccurredAt, ct), default!);
        }

        await periods.LockAsync(ct);
        Period? today = null;
        foreach (var i in fresh)
        {
            var occurred = periods.Current(assigned[i].Occurred);
            var paid = occurred;
            if (occurred.Status != "open")
            {
                today ??= await periods.OpenTodayAsync(now, ct);
                if (today is null)
                {
                    return Refuse(503, "No open settlement period.", "Today's period is not open; retry shortly.");
                }

                paid = today;
                if (lines[i].Type == RevenueLineTypes.Revenue)
                {
                    kinds[i] = (StatementLineKinds.LateRevenue, null, null);
                }
            }

            assigned[i] = (occurred, paid);
        }

        // 6. One insert for the whole batch. A concurrent identical batch may have won a line meanwhile: compare it.
        var rows = fresh.Select(i => (Index: i, Line: lines[i], Kind: kinds[i], Period: assigned[i])).ToList();
        var inserted = (await conn.QueryAsync<(Guid GenerationId, string LineId)>(new CommandDefinition(
            """
            insert into revenue_lines (tenant_id, generation_id, line_id, line_type, kind, adjusts, amount_minor, currency, occurred_at, occurred_period_id, period_id)
            select @tenant, * from unnest(@generations, @lineIds, @types, @kinds, @adjusts, @amounts, @currencies, @occurred, @occurredPeriods, @periods)
            on conflict (tenant_id, generation_id, line_id) do nothing
            returning generation_id, line_id
            """,
            new
            {
                tenant,
                generations = rows.Select(r => r.Line.GenerationId).ToArray(),
                lineIds = rows.Select(r => r.Line.LineId).ToArray(),
                types = rows.Select(r => r.Line.Type).ToArray(),
                kinds = rows.Select(r => r.Kind.Kind).ToArray(),
                adjusts = rows.Select(r => r.Kind.AdjustsId).ToArray(),
                amounts = rows.Select(r => r.Line.AmountMinor).ToArray(),
                currencies = rows.Select(r => r.Line.Currency).ToArray(),
                occurred = rows.Select(r => r.Line.OccurredAt).ToArray(),
                occurredPeriods = rows.Select(r => r.Kind.AdjustedPeriodId ?? r.Period.Occurred.Id).ToArray(),
                periods = rows.Select(r => r.Period.Paid.Id).ToArray(),
            },
            tx, cancellationToken: ct))).ToHashSet();
        foreach (var row in rows)
        {
            if (!inserted.Contains((row.Line.GenerationId, row.Line.LineId)))
            {
                return Refuse(409, "Line reported concurrently.", $"Line {row.Line.LineId} of generation {row.Line.GenerationId} was reported by another request at the same time; retry to learn its outcome.");
            }

            var original = row.Kind.AdjustedPeriodId is { } p ? await periods.StartOfAsync(p, ct) : row.Period.Occurred.Start;
            receipts[row.Index] = new RevenueLineReceipt(row.Line.LineId, row.Line.GenerationId, Received, row.Kind.Kind, row.Period.Paid.Start, original);
        }

        await tx.CommitAsync(ct);
        return (new RevenueBatchReceipt(rows.Count, lines.Count - rows.Count, receipts.Select(r => r!).ToList()), null);
    }

    private static (RevenueBatchReceipt?, RevenueBatchRefusal?) Refuse(int status, string title, string detail) => (null, new RevenueBatchRefusal(status, title, detail));

    private sealed record StoredLine
    {
        public long Id { get; init; }
        public Guid GenerationId { get; init; }
        public string LineId { get; init; } = "";
        public string Type { get; init; } = "";
        public long AmountMinor { get; init; }
        public string Currency { get; init; } = "";
        public DateTimeOffset OccurredAt { get; init; }
        public string? Adjusts { get; init; }
        public string Kind { get; init; } = "";
        public DateTimeOffset PeriodStart { get; init; }
        public DateTimeOffset OriginalPeriodStart { get; init; }

        public bool SameAs(RevenueLineInput line) =>
            Type == line.Type && AmountMinor == line.AmountMinor && Currency == line.Currency && OccurredAt == line.OccurredAt && Adjusts == line.Adjusts;

        public string Describe() => $"{Type} of {AmountMinor} {Currency} at {OccurredAt:O}" + (Adjusts is null ? "" : $" adjusting {Adjusts}");
    }

    private sealed record AdjustedLine
    {
        public long Id { get; init; }
        public Guid GenerationId { get; init; }
        public string LineId { get; init; } = "";
        public string Type { get; init; } = "";
        public long OccurredPeriodId { get; init; }
        public long NetMinor { get; set; }
    }
}
