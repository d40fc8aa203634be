using System.Text.Json;
using Compliance.Api.Generations;
using Compliance.Generation.Gates;
using Compliance.Generation.Pipeline;
using Compliance.Storage.Decisions;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Compliance.Api.Reviews;

/// <summary>
/// The review queue: list, claim, release a claim, add notes, resolve, and read an item's history. Every state change
/// is a conditional UPDATE in PostgreSQL (so two reviewers racing for one item, on any node, get exactly one winner)
/// made in a transaction that also appends the action to the hash-chained log and commits only once the entry is
/// durable: an action is never in effect without its log entry. Endpoints and the web console call this class.
/// </summary>
internal sealed class ReviewQueue(
    NpgsqlDataSource db, ReviewLog log, GenerationStages generations, GenerationScheduler scheduler, TimeProvider clock, IOptions<ReviewOptions> options)
{
    /// <summary>One page, oldest first. A tenant-scoped auditor sees its tenant only (a filter on another tenant is empty).</summary>
    public async Task<ReviewItemPage> ListAsync(ReviewFilter filter, int limit, long? cursor, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.TenantScope is { } scoped)
        {
            if (filter.TenantId is { } asked && asked != scoped)
            {
                return new ReviewItemPage([], null);
            }

            filter = filter with { TenantId = scoped };
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var rows = await ReviewQueries.PageAsync(conn, filter, limit + 1, cursor, ct);
        long? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(limit);
            next = rows[^1].OpenedSeq;
        }

        var now = clock.GetUtcNow();
        return new ReviewItemPage(rows.Select(r => r.ToView(now)).ToList(), next);
    }

    public async Task<Answer<ReviewItemView>> GetAsync(Guid id, Actor actor, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await ReviewQueries.ItemAsync(conn, null, id, actor.TenantScope, ct) is { } row
            ? row.ToView(clock.GetUtcNow())
            : Refusal.NotFound("Review item");
    }

    /// <summary>
    /// Claims an open item for <paramref name="actor"/> for <see cref="ReviewOptions.ClaimDuration"/>: when nobody holds
    /// it, its claim has lapsed, or the actor holds it already (which renews the claim). Of two auditors claiming at
    /// once exactly one wins: the second UPDATE waits on the first's row lock and then no longer finds the item free.
    /// </summary>
    public async Task<Answer<ReviewItemView>> ClaimAsync(Guid id, Actor actor, CancellationToken ct)
    {
        var now = Now();
        var until = now + options.Value.ClaimDuration;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var previous = await conn.QuerySingleOrDefaultAsync<PreviousClaim>(new CommandDefinition(
            $"""
            with prev as (
                select id, claimed_by, claimed_until from review_items
                where id = @id and (@scope::uuid is null or tenant_id = @scope) for update)
            update review_items i set claimed_by = @me, claimed_until = @until
            from prev
            where i.id = prev.id and i.status = 'open'
              and (i.claimed_by is null or i.claimed_until <= @now or i.claimed_by = @me)
            returning prev.claimed_by as {nameof(PreviousClaim.By)}, prev.claimed_until as {nameof(PreviousClaim.Until)}
            """,
            new { id, scope = actor.TenantScope, me = actor.KeyId, until, now }, tx, cancellationToken: ct));
        if (previous is not { } prev)
        {
            return await WhyNotAsync(conn, tx, id, actor, now, "claimed", ct);
        }

        var item = (await ReviewQueries.ItemAsync(conn, tx, id, actor.TenantScope, ct))!;
        if (prev.By is { } lapsed && prev.Until <= now)
        {
            // The lapse is recorded when it matters: when someone takes the item over (or its holder renews too late).
            await log.AppendAsync(Guid.CreateVersion7(), item.TenantId,
                Action(item, ReviewActions.ClaimExpired, actor, now) with { PreviousClaimantKeyId = lapsed, ClaimExpiredAt = prev.Until }, ct);
        }

        await log.AppendAsync(Guid.CreateVersion7(), item.TenantId, Action(item, ReviewActions.Claimed, actor, now) with { ClaimedUntil = until }, ct);
        await tx.CommitAsync(ct);
        return item.ToView(now);
    }

    /// <summary>Gives a claim back before it lapses; only its holder can.</summary>
    public async Task<Answer<ReviewItemView>> ReleaseClaimAsync(Guid id, Actor actor, CancellationToken ct)
    {
        var now = Now();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var released = await conn.ExecuteAsync(new CommandDefinition(
            """
            update review_items set claimed_by = null, claimed_until = null
            where id = @id and (@scope::uuid is null or tenant_id = @scope) and status = 'open' and claimed_by = @me and claimed_until > @now
            """,
            new { id, scope = actor.TenantScope, me = actor.KeyId, now }, tx, cancellationToken: ct));
        if (released == 0)
        {
            return await WhyNotAsync(conn, tx, id, actor, now, "released", ct);
        }

        var item = (await ReviewQueries.ItemAsync(conn, tx, id, actor.TenantScope, ct))!;
        await log.AppendAsync(Guid.CreateVersion7(), item.TenantId, Action(item, ReviewActions.ClaimReleased, actor, now), ct);
        await tx.CommitAsync(ct);
        return item.ToView(now);
    }

    /// <summary>Adds a note (internal: auditors only; public: the platform sees it) to an open or resolved item.</summary>
    public async Task<Answer<ReviewNote>> AddNoteAsync(Guid id, string visibility, string text, Actor actor, CancellationToken ct)
    {
        var now = Now();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await ReviewQueries.ItemAsync(conn, tx, id, actor.TenantScope, ct) is not { } item)
        {
            return Refusal.NotFound("Review item");
        }

        var note = await AddNoteInAsync(conn, tx, item, visibility, text, actor, now, ct);
        await tx.CommitAsync(ct);
        return note;
    }

    /// <summary>
    /// Resolves an item the actor holds a live claim on: <c>uphold</c> or <c>overturn</c>, with a reason (internal) and
    /// optionally a public note. The resolution is one conditional UPDATE (open, claimed by the actor, claim live), so of
    /// two racing resolutions one wins and the other is told the item is resolved. For a review item whose decision holds
    /// a generation <c>in_review</c>, the same transaction settles the job (see <see cref="GenerationStages.SettleHeldAsync"/>):
    /// a generation is released or blocked exactly once.
    /// </summary>
    public async Task<Answer<ReviewItemView>> ResolveAsync(Guid id, string resolution, string reason, string? publicNote, Actor actor, CancellationToken ct)
    {
        var now = Now();
        var entryId = Guid.CreateVersion7();
        (Guid JobId, GenerationState State)? settled = null;
        ReviewQueries.ItemRow item;
        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            var resolved = await conn.ExecuteAsync(new CommandDefinition(
                """
                update review_items set status = 'resolved', resolution = @resolution, resolution_reason = @reason, resolved_by = @me,
                       resolved_at = @now, resolution_entry_id = @entryId
                where id = @id and (@scope::uuid is null or tenant_id = @scope) and status = 'open' and claimed_by = @me and claimed_until > @now
                """,
                new { id, scope = actor.TenantScope, me = actor.KeyId, now, resolution, reason, entryId }, tx, cancellationToken: ct));
            if (resolved == 0)
            {
                return await WhyNotAsync(conn, tx, id, actor, now, "resolved", ct);
            }

            item = (await ReviewQueries.ItemAsync(conn, tx, id, actor.TenantScope, ct))!;
            if (publicNote is not null)
            {
                await AddNoteInAsync(conn, tx, item, ReviewVocabulary.Public, publicNote, actor, now, ct);
            }

            // Only a review item holds a generation; an appeal is about a block, which ended its generation for good.
            if (item.Kind == ReviewVocabulary.Review)
            {
                settled = await generations.SettleHeldAsync(conn, tx, item.DecisionId, resolution == ReviewVocabulary.Overturn, entryId, ct);
            }

            await log.AppendAsync(entryId, item.TenantId, Action(item, ReviewActions.Resolved, actor, now) with
            {
                Resolution = resolution,
                EffectiveOutcome = ReviewVocabulary.EffectiveOutcome(resolution),
                Reason = reason,
                GenerationId = settled?.JobId,
                GenerationState = settled?.State.Name(),
            }, ct);
            await tx.CommitAsync(ct);
        }

        if (settled is { State: GenerationState.Generating } resumed)
        {
            // Overturned at the prompt gate: the job goes on from generating. Were this call lost, the sweeper would
            // schedule the unfinished job anyway.
            await scheduler.ScheduleAsync(resumed.JobId, TimeSpan.Zero, CancellationToken.None);
        }

        await using var read = await db.OpenConnectionAsync(ct);
        return (await ReviewQueries.ItemAsync(read, null, id, actor.TenantScope, ct))!.ToView(now);
    }

    /// <summary>The item, its notes and its timeline, read from the log (auditors: internal notes included).</summary>
    public async Task<Answer<ReviewHistory>> HistoryAsync(Guid id, Actor actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await ReviewQueries.ItemAsync(conn, null, id, actor.TenantScope, ct) is not { } item)
        {
            return Refusal.NotFound("Review item");
        }

        var notes = await ReviewQueries.NotesAsync(conn, id, publicOnly: false, ct);
        var timeline = new List<TimelineEvent>();
        foreach (var e in await ReviewQueries.EntriesOfDecisionAsync(conn, item.DecisionId, ct))
        {
            if (e.Kind == DecisionEntryKinds.Decision)
            {
                // The decision opened a review item; for an appeal it is the block being appealed.
                var detail = JsonSerializer.SerializeToElement(new { outcome = e.Payload.GetProperty("outcome").GetString(), rules = item.Rules }, JsonNames.Options);
                timeline.Add(new TimelineEvent(item.Kind == ReviewVocabulary.Review ? ReviewActions.Opened : ReviewActions.Decided, e.At, null, e.Seq, e.Id, e.Sha256) { Detail = detail });
            }
            else if (e.Payload.TryGetProperty("itemId", out var itemId) && itemId.GetGuid() == id)
            {
                var actorKey = e.Payload.TryGetProperty("actorKeyId", out var a) ? a.GetGuid() : (Guid?)null;
                timeline.Add(new TimelineEvent(e.Action, e.At, actorKey, e.Seq, e.Id, e.Sha256) { Detail = e.Payload });
            }
        }

        if (item.Status == ReviewVocabulary.Open && item.ClaimedBy is { } holder && item.ClaimedUntil is { } until && until <= now)
        {
            timeline.Add(new TimelineEvent(ReviewActions.ClaimExpired, until, holder, null, null, null));
        }

        return new ReviewHistory(item.ToView(now), notes, timeline);
    }

    /// <summary>
    /// The one-record API (<c>POST /v1/decisions/{id}/review</c>): claims the decision's review item and resolves it in
    /// one call (allow overturns, block upholds). 404 for a decision the key cannot see, 409 when the decision was not
    /// sent to review, is resolved, or another reviewer holds the claim.
    /// </summary>
    public async Task<Answer<DecisionReview>> ReviewDecisionAsync(Guid decisionId, string outcome, string reason, Actor actor, CancellationToken ct)
    {
        Guid? itemId;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            var decision = await ReviewQueries.DecisionAsync(conn, null, decisionId, ct);
            if (decision is null || !actor.Sees(decision.TenantId))
            {
                return Refusal.NotFound("Decision");
            }

            itemId = (await ReviewQueries.OfDecisionAsync(conn, decisionId, actor.TenantScope, ct)).FirstOrDefault(i => i.Kind == ReviewVocabulary.Review)?.Id;
            if (itemId is null)
            {
                return Refusal.Conflict("Not a review decision.", $"This decision's outcome is {decision.Outcome}; only decisions sent to review are reviewed.");
            }
        }

        var claimed = await ClaimAsync(itemId.Value, actor, ct);
        if (claimed.Refusal is { } notClaimed)
        {
            return notClaimed;
        }

        var resolved = await ResolveAsync(itemId.Value, outcome == "allow" ? ReviewVocabulary.Overturn : ReviewVocabulary.Uphold, reason, null, actor, ct);
        if (resolved.Refusal is { } notResolved)
        {
            return notResolved;
        }

        return (await DecisionReviewAsync(decisionId, actor.TenantScope, isAuditor: true, ct)).Value!;
    }

    /// <summary>A decision's resolved review as the one-record API shows it; reason and reviewer only for auditors.</summary>
    public async Task<Answer<DecisionReview>> DecisionReviewAsync(Guid decisionId, Guid? tenantScope, bool isAuditor, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var item = (await ReviewQueries.OfDecisionAsync(conn, decisionId, tenantScope, ct))
            .FirstOrDefault(i => i.Kind == ReviewVocabulary.Review && i.Status == ReviewVocabulary.Resolved);
        if (item is null)
        {
            return new Refusal(StatusCodes.Status404NotFound, "No review for this decision.", "The decision has no resolved review visible to this key.");
        }

        var notes = await ReviewQueries.NotesAsync(conn, item.Id, publicOnly: true, ct);
        return new DecisionReview
        {
            Id = item.Id,
            DecisionId = decisionId,
            Outcome = ReviewVocabulary.EffectiveOutcome(item.Resolution!),
            Resolution = item.Resolution!,
            Reason = isAuditor ? item.ResolutionReason : null,
            ReviewerKeyId = isAuditor ? item.ResolvedBy : null,
            CreatedAt = item.ResolvedAt!.Value,
            PublicNotes = notes.Select(n => new PublicNote(n.Text, n.CreatedAt)).ToList(),
        };
    }

    private async Task<ReviewNote> AddNoteInAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, ReviewQueries.ItemRow item, string visibility, string text, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        var entryId = Guid.CreateVersion7();
        var note = new ReviewNote { Id = Guid.CreateVersion7(), Visibility = visibility, Text = text, AuthorKeyId = actor.KeyId, CreatedAt = now };
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into review_notes (id, item_id, tenant_id, visibility, body, author_key_id, created_at, entry_id)
            values (@Id, @item, @tenant, @Visibility, @Text, @AuthorKeyId, @CreatedAt, @entryId)
            """,
            new { note.Id, item = item.Id, tenant = item.TenantId, note.Visibility, note.Text, note.AuthorKeyId, note.CreatedAt, entryId }, tx, cancellationToken: ct));
        await log.AppendAsync(entryId, item.TenantId, Action(item, ReviewActions.NoteAdded, actor, now) with { Visibility = visibility, Note = text }, ct);
        return note;
    }

    /// <summary>Why a conditional update changed nothing: not there (404), resolved, or claimed by someone else (409).</summary>
    private static async Task<Refusal> WhyNotAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, Actor actor, DateTimeOffset now, string verb, CancellationToken ct)
    {
        var item = await ReviewQueries.ItemAsync(conn, tx, id, actor.TenantScope, ct);
        if (item is null)
        {
            return Refusal.NotFound("Review item");
        }

        if (item.Status == ReviewVocabulary.Resolved)
        {
            return Refusal.Conflict("Already resolved.", $"The item was resolved ({item.Resolution}) at {item.ResolvedAt:O}; it cannot be {verb} now.");
        }

        if (item.ClaimActiveAt(now) && item.ClaimedBy != actor.KeyId)
        {
            return Refusal.Conflict("Claimed by another reviewer.", $"Another reviewer holds this item until {item.ClaimedUntil:O}.");
        }

        return Refusal.Conflict("Claim the item first.", item.ClaimedBy == actor.KeyId
            ? $"Your claim lapsed at {item.ClaimedUntil:O}; claim the item again."
            : "Only the reviewer holding a live claim on the item can do this; claim it first.");
    }

    private sealed record PreviousClaim
    {
        public Guid? By { get; init; }
        public DateTimeOffset? Until { get; init; }
    }

    private DateTimeOffset Now() => DecisionLog.TruncateToMicroseconds(clock.GetUtcNow());

    private static ReviewAction Action(ReviewQueries.ItemRow item, string action, Actor actor, DateTimeOffset at) =>
        new(item.Id, item.DecisionId, item.Kind, item.Queue, action, actor.KeyId, at);
}
