using System.Security.Claims;
using Compliance.Api.Access;
using Compliance.Api.Decisions;
using Npgsql;

namespace Compliance.Api.WebConsole;

/// <summary>What resolving a review from the console came to.</summary>
internal enum ConsoleResolution
{
    Resolved,
    NotFound,
    NotReviewable,
    AlreadyResolved,
}

/// <summary>
/// The console's one seam onto the review workflow. Today it reads the queue and records outcomes through the review
/// API's own code (<see cref="DecisionQueries"/>, <see cref="DecisionReviews"/>); when the workflow gains claims, notes
/// and appeals, only this class changes, not the pages.
/// </summary>
internal static class ConsoleReviews
{
    public static Task<DecisionPage> QueueAsync(NpgsqlConnection conn, ClaimsPrincipal user, int limit, long? cursor, CancellationToken ct) =>
        DecisionQueries.PageAsync(conn, new DecisionFilter(TenantId: user.TenantId(), AwaitingReview: true), limit, cursor, ct, oldestFirst: true);

    public static Task<Review?> ReviewOfAsync(NpgsqlConnection conn, Guid decisionId, Guid? tenantScope, CancellationToken ct) =>
        DecisionReviews.OfAsync(conn, decisionId, tenantScope, ct);

    public static async Task<ConsoleResolution> ResolveAsync(
        NpgsqlConnection conn, ClaimsPrincipal user, Guid decisionId, string outcome, string reason, CancellationToken ct)
    {
        if (await DecisionQueries.OutcomeAsync(conn, decisionId, ct) is not { } decision || !ReviewEndpoints.InScope(user, decision.TenantId))
        {
            return ConsoleResolution.NotFound;
        }

        var (result, _) = await DecisionReviews.RecordAsync(conn, decisionId, decision, outcome, reason, user.KeyId(), ct);
        return result switch
        {
            ReviewResult.Recorded => ConsoleResolution.Resolved,
            ReviewResult.NotReviewable => ConsoleResolution.NotReviewable,
            _ => ConsoleResolution.AlreadyResolved,
        };
    }
}
