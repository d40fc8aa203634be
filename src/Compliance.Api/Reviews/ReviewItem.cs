using System.Text.Json;

namespace Compliance.Api.Reviews;

/// <summary>The review workflow's vocabulary: item kinds, statuses, resolutions, note visibilities and the logged actions.</summary>
internal static class ReviewVocabulary
{
    /// <summary>A decision the policy sent to review.</summary>
    public const string Review = "review";

    /// <summary>A platform's appeal of a block.</summary>
    public const string Appeal = "appeal";

    public const string Open = "open";
    public const string Resolved = "resolved";

    /// <summary>The reviewer agrees with the concern: nothing is released (a held generation ends blocked; a block stands).</summary>
    public const string Uphold = "uphold";

    /// <summary>The reviewer lifts the concern: the effective outcome is allow (a held generation is released).</summary>
    public const string Overturn = "overturn";

    public const string Internal = "internal";
    public const string Public = "public";

    public static readonly string[] Kinds = [Review, Appeal];
    public static readonly string[] Statuses = [Open, Resolved, "all"];
    public static readonly string[] Resolutions = [Uphold, Overturn];
    public static readonly string[] Visibilities = [Internal, Public];

    /// <summary>What a resolution makes of the decision: uphold blocks, overturn allows.</summary>
    public static string EffectiveOutcome(string resolution) => resolution == Overturn ? "allow" : "block";
}

/// <summary>The actions the log records (an entry's <c>outcome</c> for kind <c>review</c>).</summary>
internal static class ReviewActions
{
    public const string Claimed = "claimed";
    public const string ClaimExpired = "claim_expired";
    public const string ClaimReleased = "claim_released";
    public const string NoteAdded = "note_added";
    public const string Resolved = "resolved";
    public const string AppealFiled = "appeal_filed";

    /// <summary>Timeline only: the decision that opened a review item (its own log entry).</summary>
    public const string Opened = "opened";

    /// <summary>Timeline only: the decision an appeal is about (its own log entry).</summary>
    public const string Decided = "decided";
}

/// <summary>One item in the review queue, as auditors see it.</summary>
internal sealed record ReviewItemView
{
    public Guid Id { get; init; }

    /// <summary><c>review</c> (the policy sent the decision to review) or <c>appeal</c> (a platform appealed a block).</summary>
    public string Kind { get; init; } = "";

    /// <summary>The queue: what was decided (<c>prompt</c>, <c>image</c>, <c>video</c>, <c>generation</c>). An appeal sits in its decision's queue.</summary>
    public string Queue { get; init; } = "";

    public string Status { get; init; } = "";
    public Guid DecisionId { get; init; }
    public string DecisionOutcome { get; init; } = "";
    public Guid TenantId { get; init; }
    public string[] Rules { get; init; } = [];
    public Guid[] EntityIds { get; init; } = [];

    /// <summary>The log sequence number of the entry that opened the item (the decision, or the appeal); the queue's order and cursor.</summary>
    public long OpenedSequence { get; init; }

    public DateTimeOffset OpenedAt { get; init; }

    /// <summary>An appeal's statement.</summary>
    public string? Statement { get; init; }

    public Guid? FiledByKeyId { get; init; }
    public Guid? ClaimedByKeyId { get; init; }
    public DateTimeOffset? ClaimedUntil { get; init; }

    /// <summary>True while the claim holds; once it has lapsed anyone may claim the item.</summary>
    public bool ClaimActive { get; init; }

    public string? Resolution { get; init; }

    /// <summary>The resolution's reason: internal, never shown to the platform.</summary>
    public string? ResolutionReason { get; init; }

    public Guid? ResolvedByKeyId { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary><c>allow</c> when overturned, <c>block</c> when upheld; null while open.</summary>
    public string? EffectiveOutcome { get; init; }

    /// <summary>The generation this decision belongs to, if any (one held <c>in_review</c> is settled by the resolution).</summary>
    public Guid? GenerationId { get; init; }

    public string? GenerationState { get; init; }
}

/// <summary>A page of the queue, and the cursor for the next page (null on the last).</summary>
internal sealed record ReviewItemPage(IReadOnlyList<ReviewItemView> Items, long? NextCursor);

/// <summary>What the queue is narrowed to; every field optional. <see cref="Status"/> is <c>open</c> unless asked otherwise.</summary>
internal sealed record ReviewFilter(
    string Status = ReviewVocabulary.Open, Guid? TenantId = null, string? Rule = null, Guid? CharacterId = null, string? Kind = null, string? Queue = null);

/// <summary>A note on an item.</summary>
internal sealed record ReviewNote
{
    public Guid Id { get; init; }
    public string Visibility { get; init; } = "";
    public string Text { get; init; } = "";
    public Guid AuthorKeyId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// One event of an item's history. Logged events carry their log entry (sequence, id, hash): the timeline is read from
/// the hash-chained log itself. The one unlogged event is a claim seen to have lapsed that nobody has taken over yet.
/// </summary>
internal sealed record TimelineEvent(string Action, DateTimeOffset At, Guid? ActorKeyId, long? Sequence, Guid? EntryId, string? EntrySha256)
{
    public bool Logged => Sequence is not null;

    /// <summary>The action's details as logged (reason, note, visibility, resolution, statement, generation...).</summary>
    public JsonElement? Detail { get; init; }
}

/// <summary>An item with its notes and timeline (auditors).</summary>
internal sealed record ReviewHistory(ReviewItemView Item, IReadOnlyList<ReviewNote> Notes, IReadOnlyList<TimelineEvent> Timeline);

/// <summary>What a platform sees of its appeal: the outcome and public notes, never internal notes, reasons or reviewers.</summary>
internal sealed record AppealView
{
    public Guid Id { get; init; }
    public Guid DecisionId { get; init; }
    public string Queue { get; init; } = "";
    public string Status { get; init; } = "";
    public string Statement { get; init; } = "";
    public DateTimeOffset FiledAt { get; init; }
    public string? Resolution { get; init; }
    public string? EffectiveOutcome { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public IReadOnlyList<PublicNote> PublicNotes { get; init; } = [];
}

/// <summary>A public note as the platform sees it (no author).</summary>
internal sealed record PublicNote(string Text, DateTimeOffset CreatedAt);

/// <summary>
/// A decision's review as the one-record API (<c>GET /v1/decisions/{id}/review</c>) answers it: the outcome as allow or block.
/// <see cref="Reason"/> and <see cref="ReviewerKeyId"/> are for auditors; platforms get the public notes.
/// </summary>
internal sealed record DecisionReview
{
    public Guid Id { get; init; }
    public Guid DecisionId { get; init; }
    public string Outcome { get; init; } = "";
    public string Resolution { get; init; } = "";
    public string? Reason { get; init; }
    public Guid? ReviewerKeyId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyList<PublicNote> PublicNotes { get; init; } = [];
}

/// <summary>Who acts on the queue: the key, and the tenant it is scoped to (null for an auditor of every tenant).</summary>
internal sealed record Actor(Guid KeyId, Guid? TenantScope)
{
    public bool Sees(Guid tenant) => TenantScope is not { } scoped || scoped == tenant;
}

/// <summary>An expected refusal: 404 (not there, or another tenant's), 409 (the item's state forbids it).</summary>
internal sealed record Refusal(int Status, string Title, string Detail)
{
    public static Refusal NotFound(string what) => new(StatusCodes.Status404NotFound, $"{what} not found.", $"No {what.ToLowerInvariant()} with this id is visible to this key.");

    public static Refusal Conflict(string title, string detail) => new(StatusCodes.Status409Conflict, title, detail);
}

/// <summary>Either a value or a refusal: the services' answer, which endpoints turn into typed results.</summary>
internal readonly record struct Answer<T>(T? Value, Refusal? Refusal)
{
    public static implicit operator Answer<T>(T value) => new(value, null);

    public static implicit operator Answer<T>(Refusal refusal) => new(default, refusal);
}
