using System.Text.Json;
using Dapper;
using Npgsql;

namespace Compliance.Api.Reviews;

/// <summary>The review workflow's reads: items (one, or a page of the queue), notes, and the log entries of an item's history.</summary>
internal static class ReviewQueries
{
    /// <summary>An item's columns, with the generation its decision belongs to (found through the two decision-id indexes).</summary>
    private const string Columns = $"""
        i.id as {nameof(ItemRow.Id)}, i.kind as {nameof(ItemRow.Kind)}, i.queue as {nameof(ItemRow.Queue)}, i.status as {nameof(ItemRow.Status)},
        i.decision_id as {nameof(ItemRow.DecisionId)}, i.decision_outcome as {nameof(ItemRow.DecisionOutcome)}, i.tenant_id as {nameof(ItemRow.TenantId)},
        i.rules as {nameof(ItemRow.Rules)}, i.entity_ids as {nameof(ItemRow.EntityIds)}, i.opened_seq as {nameof(ItemRow.OpenedSeq)},
        i.opened_at as {nameof(ItemRow.OpenedAt)}, i.statement as {nameof(ItemRow.Statement)}, i.filed_by as {nameof(ItemRow.FiledBy)},
        i.claimed_by as {nameof(ItemRow.ClaimedBy)}, i.claimed_until as {nameof(ItemRow.ClaimedUntil)}, i.resolution as {nameof(ItemRow.Resolution)},
        i.resolution_reason as {nameof(ItemRow.ResolutionReason)}, i.resolved_by as {nameof(ItemRow.ResolvedBy)}, i.resolved_at as {nameof(ItemRow.ResolvedAt)},
        g.id as {nameof(ItemRow.GenerationId)}, g.state as {nameof(ItemRow.GenerationState)}
        """;

    private const string From = """
        review_items i
        left join lateral (
            select id, state from generation_jobs
            where prompt_decision_id = i.decision_id or frame_decision_id = i.decision_id
            order by created_at limit 1) g on true
        """;

    /// <summary>One item, or null when there is none visible to <paramref name="tenantScope"/>.</summary>
    public static async Task<ItemRow?> ItemAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id, Guid? tenantScope, CancellationToken ct) =>
        await conn.QuerySingleOrDefaultAsync<ItemRow>(new CommandDefinition(
            $"select {Columns} from {From} where i.id = @id and (@tenantScope::uuid is null or i.tenant_id = @tenantScope)",
            new { id, tenantScope }, tx, cancellationToken: ct));

    /// <summary>The items of one decision (its review item and its appeals), oldest first.</summary>
    public static async Task<IReadOnlyList<ItemRow>> OfDecisionAsync(NpgsqlConnection conn, Guid decisionId, Guid? tenantScope, CancellationToken ct) =>
        (await conn.QueryAsync<ItemRow>(new CommandDefinition(
            $"select {Columns} from {From} where i.decision_id = @decisionId and (@tenantScope::uuid is null or i.tenant_id = @tenantScope) order by i.opened_seq",
            new { decisionId, tenantScope }, cancellationToken: ct))).ToList();

    /// <summary>
    /// One page of the queue, oldest first, keyset-paginated on the opening entry's sequence number. Each filter is
    /// served by an index of migration 0012 (status with tenant, kind or queue; rules and entities by GIN).
    /// </summary>
    public static async Task<List<ItemRow>> PageAsync(NpgsqlConnection conn, ReviewFilter f, int take, long? cursor, CancellationToken ct) =>
        (await conn.QueryAsync<ItemRow>(new CommandDefinition(
            $"""
            select {Columns} from {From}
            where (@Status::text = 'all' or i.status = @Status)
              and (@cursor::bigint is null or i.opened_seq > @cursor)
              and (@TenantId::uuid is null or i.tenant_id = @TenantId)
              and (@Kind::text is null or i.kind = @Kind)
              and (@Queue::text is null or i.queue = @Queue)
              and (@Rule::text is null or i.rules @> array[@Rule::text])
              and (@CharacterId::uuid is null or i.entity_ids @> array[@CharacterId::uuid])
            order by i.opened_seq
            limit @take
            """,
            new { f.Status, cursor, f.TenantId, f.Kind, f.Queue, f.Rule, f.CharacterId, take },
            cancellationToken: ct))).ToList();

    public static async Task<IReadOnlyList<ReviewNote>> NotesAsync(NpgsqlConnection conn, Guid itemId, bool publicOnly, CancellationToken ct) =>
        (await conn.QueryAsync<ReviewNote>(new CommandDefinition(
            $"""
            select id as {nameof(ReviewNote.Id)}, visibility as {nameof(ReviewNote.Visibility)}, body as {nameof(ReviewNote.Text)},
                   author_key_id as {nameof(ReviewNote.AuthorKeyId)}, created_at as {nameof(ReviewNote.CreatedAt)}
            from review_notes where item_id = @itemId and (not @publicOnly or visibility = 'public') order by created_at, id
            """,
            new { itemId, publicOnly }, cancellationToken: ct))).ToList();

    /// <summary>The decision's own entry and every review action linked to it, in log order (hashes included).</summary>
    public static async Task<IReadOnlyList<LoggedEntry>> EntriesOfDecisionAsync(NpgsqlConnection conn, Guid decisionId, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<(long Seq, Guid Id, string Kind, string Outcome, DateTimeOffset At, string Payload, byte[] Sha)>(new CommandDefinition(
            """
            select seq, id, kind, outcome, created_at, payload, entry_sha256 from decisions
            where (id = @decisionId and kind = 'decision') or (linked_decision_id = @decisionId and kind = 'review')
            order by seq
            """,
            new { decisionId }, cancellationToken: ct));
        return rows.Select(r => new LoggedEntry(r.Seq, r.Id, r.Kind, r.Outcome, r.At, JsonDocument.Parse(r.Payload).RootElement.Clone(), Convert.ToHexStringLower(r.Sha))).ToList();
    }

    /// <summary>The tenant, outcome, subject and rules of one decision (what an appeal needs), or null when there is none.</summary>
    public static async Task<DecisionFacts?> DecisionAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id, CancellationToken ct) =>
        await conn.QuerySingleOrDefaultAsync<DecisionFacts>(new CommandDefinition(
            $"""
            select id as {nameof(DecisionFacts.Id)}, tenant_id as {nameof(DecisionFacts.TenantId)}, outcome as {nameof(DecisionFacts.Outcome)},
                   subject as {nameof(DecisionFacts.Subject)}, rules as {nameof(DecisionFacts.Rules)}, entity_ids as {nameof(DecisionFacts.EntityIds)}
            from decisions where id = @id and kind = 'decision'
            """,
            new { id }, tx, cancellationToken: ct));

    internal sealed record LoggedEntry(long Seq, Guid Id, string Kind, string Action, DateTimeOffset At, JsonElement Payload, string Sha256);

    internal sealed record DecisionFacts
    {
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string Outcome { get; init; } = "";
        public string Subject { get; init; } = "";
        public string[] Rules { get; init; } = [];
        public Guid[] EntityIds { get; init; } = [];
    }

    internal sealed record ItemRow
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
        public string Queue { get; init; } = "";
        public string Status { get; init; } = "";
        public Guid DecisionId { get; init; }
        public string DecisionOutcome { get; init; } = "";
        public Guid TenantId { get; init; }
        public string[] Rules { get; init; } = [];
        public Guid[] EntityIds { get; init; } = [];
        public long OpenedSeq { get; init; }
        public DateTimeOffset OpenedAt { get; init; }
        public string? Statement { get; init; }
        public Guid? FiledBy { get; init; }
        public Guid? ClaimedBy { get; init; }
        public DateTimeOffset? ClaimedUntil { get; init; }
        public string? Resolution { get; init; }
        public string? ResolutionReason { get; init; }
        public Guid? ResolvedBy { get; init; }
        public DateTimeOffset? ResolvedAt { get; init; }
        public Guid? GenerationId { get; init; }
        public string? GenerationState { get; init; }

        public bool ClaimActiveAt(DateTimeOffset now) => ClaimedBy is not null && ClaimedUntil > now;

        public ReviewItemView ToView(DateTimeOffset now) => new()
        {
            Id = Id, Kind = Kind, Queue = Queue, Status = Status, DecisionId = DecisionId, DecisionOutcome = DecisionOutcome, TenantId = TenantId,
            Rules = Rules, EntityIds = EntityIds, OpenedSequence = OpenedSeq, OpenedAt = OpenedAt, Statement = Statement, FiledByKeyId = FiledBy,
            ClaimedByKeyId = ClaimedBy, ClaimedUntil = ClaimedUntil, ClaimActive = Status == ReviewVocabulary.Open && ClaimActiveAt(now),
            Resolution = Resolution, ResolutionReason = ResolutionReason, ResolvedByKeyId = ResolvedBy, ResolvedAt = ResolvedAt,
            EffectiveOutcome = Resolution is { } r ? ReviewVocabulary.EffectiveOutcome(r) : null, GenerationId = GenerationId, GenerationState = GenerationState,
        };
    }
}
