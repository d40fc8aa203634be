using System.Security.Claims;
using Compliance.Api.Access;
using Compliance.Api.Decisions;
using Compliance.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Compliance.Api.Reviews;

/// <summary>
/// The review workflow over HTTP (ADR-017): auditors work the queue (list, claim, notes, resolve, history); platforms
/// appeal their blocks and read the outcome. The handlers only check input and scope; <see cref="ReviewQueue"/> and
/// <see cref="Appeals"/> do the work (the web console calls them too).
/// </summary>
internal static class ReviewEndpoints
{
    public static RouteGroupBuilder MapReviews(this IEndpointRouteBuilder app)
    {
        var reviews = app.MapGroup("/v1/reviews").WithTags("Reviews").RequireAuthorization(Roles.Auditor);
        reviews.MapGet("/", List).WithName("ListReviewItems")
            .WithSummary("The review queue: review items and appeals, oldest first; filters by status, tenant, rule, character, kind and queue; keyset-paginated.");
        // The queue's first address, kept for the clients of the one-record API.
        reviews.MapGet("/queue", List).WithName("ReviewQueue").WithSummary("Alias of GET /v1/reviews (open items, oldest first).");
        reviews.MapGet("/{id:guid}", Get).WithName("GetReviewItem").WithSummary("One review item.");
        reviews.MapPost("/{id:guid}/claim", Claim).WithName("ClaimReviewItem")
            .WithSummary("Claim an open item for yourself (renews your own claim); 409 while another reviewer's claim holds.");
        reviews.MapDelete("/{id:guid}/claim", ReleaseClaim).WithName("ReleaseReviewClaim").WithSummary("Give back your claim before it lapses.");
        reviews.MapPost("/{id:guid}/notes", AddNote).Validate<NoteRequest>().WithName("AddReviewNote")
            .WithSummary("Add a note: internal (auditors only) or public (the platform sees it).");
        reviews.MapPost("/{id:guid}/resolve", Resolve).Validate<ResolveRequest>().WithName("ResolveReviewItem")
            .WithSummary("Resolve an item you hold a live claim on: uphold or overturn, with a reason; settles a generation the decision holds in review.");
        reviews.MapGet("/{id:guid}/history", History).WithName("ReviewItemHistory")
            .WithSummary("The item with its notes and its timeline, read from the hash-chained log.");

        var decisions = app.MapGroup("/v1/decisions").WithTags("Reviews");
        decisions.MapPost("/{id:guid}/review", ReviewDecision).RequireAuthorization(Roles.Auditor).Validate<ReviewRequest>().WithName("ReviewDecision")
            .WithSummary("One-record review: claims and resolves the decision's review item at once (allow overturns, block upholds), with a reason.");
        decisions.MapGet("/{id:guid}/review", GetDecisionReview).RequireAuthorization(Roles.DecisionReaders).WithName("GetDecisionReview")
            .WithSummary("The resolved review of a decision (platforms: outcome and public notes; auditors also the reason and reviewer).");
        decisions.MapPost("/{id:guid}/appeals", FileAppeal).RequireAuthorization(Roles.Platform).Validate<AppealRequest>().WithName("FileAppeal")
            .WithSummary("Appeal a block of your own with a statement; it joins the review queue the decision came from. One open appeal per decision.");
        decisions.MapGet("/{id:guid}/appeals", DecisionAppeals).RequireAuthorization(Roles.DecisionReaders).WithName("ListDecisionAppeals")
            .WithSummary("A decision's appeals, with their outcomes and public notes.");

        app.MapGet("/v1/appeals/{id:guid}", GetAppeal).RequireAuthorization(Roles.DecisionReaders).WithTags("Reviews").WithName("GetAppeal")
            .WithSummary("One appeal: status, outcome and public notes (never internal notes or reasons).");
        return reviews;
    }

    private static async Task<Results<Ok<ReviewItemPage>, ProblemHttpResult>> List(
        HttpContext http, ReviewQueue reviews, CancellationToken ct,
        string status = ReviewVocabulary.Open, Guid? tenantId = null, string? rule = null, Guid? characterId = null, string? kind = null, string? queue = null,
        int limit = DecisionQueries.DefaultLimit, long? cursor = null)
    {
        if (!ReviewVocabulary.Statuses.Contains(status))
        {
            return Problems.BadRequest("Unknown status.", "status must be open, resolved or all.");
        }

        if (kind is not null && !ReviewVocabulary.Kinds.Contains(kind))
        {
            return Problems.BadRequest("Unknown kind.", "kind must be review or appeal.");
        }

        if (DecisionQueries.CheckPage(limit, cursor) is { } badPage)
        {
            return badPage;
        }

        var filter = new ReviewFilter(status, tenantId, rule, characterId, kind, queue);
        return TypedResults.Ok(await reviews.ListAsync(filter, limit, cursor, Caller(http.User), ct));
    }

    private static async Task<Results<Ok<ReviewItemView>, ProblemHttpResult>> Get(Guid id, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
        Answer(await queue.GetAsync(id, Caller(http.User), ct));

    private static async Task<Results<Ok<ReviewItemView>, ProblemHttpResult>> Claim(Guid id, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
        Answer(await queue.ClaimAsync(id, Caller(http.User), ct));

    private static async Task<Results<Ok<ReviewItemView>, ProblemHttpResult>> ReleaseClaim(Guid id, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
        Answer(await queue.ReleaseClaimAsync(id, Caller(http.User), ct));

    private static async Task<Results<Created<ReviewNote>, ProblemHttpResult>> AddNote(Guid id, NoteRequest request, HttpContext http, ReviewQueue queue, CancellationToken ct)
    {
        var answer = await queue.AddNoteAsync(id, request.Visibility!, request.Text!.Trim(), Caller(http.User), ct);
        return answer.Refusal is { } r ? Problem(r) : TypedResults.Created($"/v1/reviews/{id}/history", answer.Value);
    }

    private static async Task<Results<Ok<ReviewItemView>, ProblemHttpResult>> Resolve(Guid id, ResolveRequest request, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
        Answer(await queue.ResolveAsync(id, request.Resolution!, request.Reason!.Trim(), request.PublicNote?.Trim(), Caller(http.User), ct));

    private static async Task<Results<Ok<ReviewHistory>, ProblemHttpResult>> History(Guid id, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
        Answer(await queue.HistoryAsync(id, Caller(http.User), ct));

    private static async Task<Results<Created<DecisionReview>, ProblemHttpResult>> ReviewDecision(
        Guid id, ReviewRequest request, HttpContext http, ReviewQueue queue, CancellationToken ct)
    {
        var answer = await queue.ReviewDecisionAsync(id, request.Outcome!, request.Reason!.Trim(), Caller(http.User), ct);
        return answer.Refusal is { } r ? Problem(r) : TypedResults.Created($"/v1/decisions/{id}/review", answer.Value);
    }

    private static async Task<Results<Ok<DecisionReview>, ProblemHttpResult>> GetDecisionReview(Guid id, HttpContext http, ReviewQueue queue, CancellationToken ct) =>
        Answer(await queue.DecisionReviewAsync(id, http.User.TenantId(), http.User.IsInRole(Roles.Auditor), ct));

    private static async Task<Results<Created<AppealView>, ProblemHttpResult>> FileAppeal(Guid id, AppealRequest request, HttpContext http, Appeals appeals, CancellationToken ct)
    {
        var answer = await appeals.FileAsync(id, request.Statement!.Trim(), http.User.RequiredTenantId(), http.User.KeyId(), ct);
        return answer.Refusal is { } r ? Problem(r) : TypedResults.Created($"/v1/appeals/{answer.Value!.Id}", answer.Value);
    }

    private static async Task<Results<Ok<IReadOnlyList<AppealView>>, ProblemHttpResult>> DecisionAppeals(Guid id, HttpContext http, Appeals appeals, CancellationToken ct) =>
        Answer(await appeals.OfDecisionAsync(id, http.User.TenantId(), ct));

    private static async Task<Results<Ok<AppealView>, ProblemHttpResult>> GetAppeal(Guid id, HttpContext http, Appeals appeals, CancellationToken ct) =>
        Answer(await appeals.GetAsync(id, http.User.TenantId(), ct));

    private static Actor Caller(ClaimsPrincipal user) => new(user.KeyId(), user.TenantId());

    private static Results<Ok<T>, ProblemHttpResult> Answer<T>(Answer<T> answer) =>
        answer.Refusal is { } r ? Problem(r) : TypedResults.Ok(answer.Value!);

    private static ProblemHttpResult Problem(Refusal r) => TypedResults.Problem(title: r.Title, detail: r.Detail, statusCode: r.Status);
}
