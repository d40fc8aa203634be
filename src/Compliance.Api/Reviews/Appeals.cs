using Compliance.Storage.Decisions;
using Dapper;
using Npgsql;

namespace Compliance.Api.Reviews;

/// <summary>
/// Platforms' appeals of blocks. An appeal is a review item of kind <c>appeal</c> in the queue its decision came from
/// (the decision's subject), worked and resolved by auditors exactly like a review item (<see cref="ReviewQueue"/>).
/// A platform sees only its own decisions' appeals, and of them only the outcome and the public notes.
/// </summary>
internal sealed class Appeals(NpgsqlDataSource db, ReviewLog log, TimeProvider clock)
{
    /// <summary>
    /// Files an appeal of a block of the platform's own: a decision whose outcome was block, or a review decision a
    /// reviewer upheld. One open appeal per decision (409 for a second; the partial unique index decides a race); a
    /// decision of another tenant is 404, as if it did not exist.
    /// </summary>
    public async Task<Answer<AppealView>> FileAsync(Guid decisionId, string statement, Guid tenantId, Guid keyId, CancellationToken ct)
    {
        var now = DecisionLog.TruncateToMicroseconds(clock.GetUtcNow());
        var id = Guid.CreateVersion7();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var decision = await ReviewQueries.DecisionAsync(conn, tx, decisionId, ct);
        if (decision is null || decision.TenantId != tenantId)
        {
            return Refusal.NotFound("Decision");
        }

        var items = await conn.QueryAsync<(string Kind, string Status, string? Resolution)>(new CommandDefinition(
            "select kind, status, resolution from review_items where decision_id = @decisionId order by opened_seq",
            new { decisionId }, tx, cancellationToken: ct));
        var effective = decision.Outcome;
        foreach (var item in items)
        {
            if (item.Status == ReviewVocabulary.Open)
            {
                return item.Kind == ReviewVocabulary.Appeal
                    ? Refusal.Conflict("An appeal is already open.", "One open appeal per decision: wait for the open one to be resolved.")
                    : Refusal.Conflict("Still in review.", "The decision is waiting for a reviewer; there is no block to appeal yet.");
            }

            effective = ReviewVocabulary.EffectiveOutcome(item.Resolution!);
        }

        if (effective != "block")
        {
            return Refusal.Conflict("Not a block.", $"Only blocks can be appealed; this decision's outcome is now {effective}.");
        }

        try
        {
            await conn.ExecuteAsync(new CommandDefinition(
                """
                insert into review_items (id, decision_id, tenant_id, kind, queue, rules, entity_ids, decision_outcome, opened_seq, opened_at, statement, filed_by)
                values (@id, @decisionId, @tenantId, 'appeal', @Subject, @Rules, @EntityIds, @Outcome, 0, @now, @statement, @keyId)
                """,
                new { id, decisionId, tenantId, decision.Subject, decision.Rules, decision.EntityIds, decision.Outcome, now, statement, keyId }, tx, cancellationToken: ct));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Refusal.Conflict("An appeal is already open.", "One open appeal per decision: wait for the open one to be resolved.");
        }

        // The appeal's place in the queue is its own log entry: it is queued after everything logged before it.
        var seq = await log.AppendAsync(Guid.CreateVersion7(), tenantId,
            new ReviewAction(id, decisionId, ReviewVocabulary.Appeal, decision.Subject, ReviewActions.AppealFiled, keyId, now) { Statement = statement }, ct);
        await conn.ExecuteAsync(new CommandDefinition("update review_items set opened_seq = @seq where id = @id", new { seq, id }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return new AppealView { Id = id, DecisionId = decisionId, Queue = decision.Subject, Status = ReviewVocabulary.Open, Statement = statement, FiledAt = now };
    }

    /// <summary>One appeal, for its platform (or an auditor); 404 for anyone else.</summary>
    public async Task<Answer<AppealView>> GetAsync(Guid id, Guid? tenantScope, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var item = await ReviewQueries.ItemAsync(conn, null, id, tenantScope, ct);
        return item is { Kind: ReviewVocabulary.Appeal } ? await ViewAsync(conn, item, ct) : Refusal.NotFound("Appeal");
    }

    /// <summary>A decision's appeals, oldest first; 404 when the decision is not visible to the key.</summary>
    public async Task<Answer<IReadOnlyList<AppealView>>> OfDecisionAsync(Guid decisionId, Guid? tenantScope, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var decision = await ReviewQueries.DecisionAsync(conn, null, decisionId, ct);
        if (decision is null || (tenantScope is { } scoped && decision.TenantId != scoped))
        {
            return Refusal.NotFound("Decision");
        }

        var views = new List<AppealView>();
        foreach (var item in (await ReviewQueries.OfDecisionAsync(conn, decisionId, tenantScope, ct)).Where(i => i.Kind == ReviewVocabulary.Appeal))
        {
            views.Add(await ViewAsync(conn, item, ct));
        }

        return views;
    }

    private static async Task<AppealView> ViewAsync(NpgsqlConnection conn, ReviewQueries.ItemRow item, CancellationToken ct) => new()
    {
        Id = item.Id,
        DecisionId = item.DecisionId,
        Queue = item.Queue,
        Status = item.Status,
        Statement = item.Statement ?? "",
        FiledAt = item.OpenedAt,
        Resolution = item.Resolution,
        EffectiveOutcome = item.Resolution is { } r ? ReviewVocabulary.EffectiveOutcome(r) : null,
        ResolvedAt = item.ResolvedAt,
        PublicNotes = (await ReviewQueries.NotesAsync(conn, item.Id, publicOnly: true, ct)).Select(n => new PublicNote(n.Text, n.CreatedAt)).ToList(),
    };
}
