using System.Security.Claims;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Decisions;

internal sealed record ReviewRequest(string? Outcome, string? Reason);

internal sealed record Review
{
    public Guid Id { get; init; }
    public Guid DecisionId { get; init; }
    public string Outcome { get; init; } = "";
    public string Reason { get; init; } = "";
    public Guid ReviewerKeyId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed class ReviewRequestValidator : AbstractValidator<ReviewRequest>
{
    public ReviewRequestValidator()
    {
        RuleFor(r => r.Outcome).NotEmpty().Must(o => o is "allow" or "block").WithMessage("outcome must be allow or block.");
        RuleFor(r => r.Reason).NotEmpty().MaximumLength(2000).Must(r => r is null || r.Trim().Length > 0).WithMessage("reason must not be blank.");
    }
}

/// <summary>
/// The review queue: decisions the policy sent to review, oldest first, until an auditor records an
/// outcome with a reason. The review is its own append-only record; the decision is never changed.
/// </summary>
internal static class ReviewEndpoints
{
    internal const string Columns = $"""
        id as {nameof(Review.Id)}, decision_id as {nameof(Review.DecisionId)}, outcome as {nameof(Review.Outcome)},
        reason as {nameof(Review.Reason)}, reviewer_key_id as {nameof(Review.ReviewerKeyId)}, created_at as {nameof(Review.CreatedAt)}
        """;

    public static RouteGroupBuilder MapReviews(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Reviews");
        group.MapGet("/reviews/queue", Queue).RequireAuthorization(Roles.Auditor).WithName("ReviewQueue")
            .WithSummary("Decisions waiting for review, oldest first (keyset-paginated by cursor).");
        group.MapPost("/decisions/{id:guid}/review", Record).RequireAuthorization(Roles.Auditor).Validate<ReviewRequest>().WithName("ReviewDecision")
            .WithSummary("Record the outcome (allow or block) of a decision that was sent to review, with a reason; once per decision.");
        group.MapGet("/decisions/{id:guid}/review", Get).RequireAuthorization(Roles.DecisionReaders).WithName("GetDecisionReview")
            .WithSummary("The review of a decision, if it has one.");
        return group;
    }

    private static async Task<Results<Ok<DecisionPage>, ProblemHttpResult>> Queue(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct, int limit = DecisionQueries.DefaultLimit, long? cursor = null)
    {
        if (DecisionQueries.CheckPage(limit, cursor) is { } badPage)
        {
            return badPage;
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var filter = new DecisionFilter(TenantId: http.User.TenantId(), AwaitingReview: true);
        return TypedResults.Ok(await DecisionQueries.PageAsync(conn, filter, limit, cursor, ct, oldestFirst: true));
    }

    private static async Task<Results<Created<Review>, ProblemHttpResult>> Record(Guid id, ReviewRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await DecisionQueries.OutcomeAsync(conn, id, ct) is not { } decision || !InScope(http.User, decision.TenantId))
        {
            return Problems.NotFound("Decision not found.");
        }

        var (result, review) = await DecisionReviews.RecordAsync(conn, id, decision, request.Outcome!, request.Reason!, http.User.KeyId(), ct);
        return result switch
        {
            ReviewResult.Recorded => TypedResults.Created($"/v1/decisions/{id}/review", review!),
            ReviewResult.NotReviewable => Problems.Conflict("Not a review decision.", $"This decision's outcome is {decision.Outcome}; only decisions sent to review are reviewed."),
            _ => Problems.Conflict("Already reviewed.", "A review outcome is recorded once per decision."),
        };
    }

    private static async Task<Results<Ok<Review>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var review = await DecisionReviews.OfAsync(conn, id, http.User.TenantId(), ct);
        return review is null ? Problems.NotFound("No review for this decision.") : TypedResults.Ok(review);
    }

    internal static bool InScope(ClaimsPrincipal user, Guid tenant) => user.TenantId() is not { } scoped || scoped == tenant;
}
