using Dapper;
using Npgsql;

namespace Compliance.Api.Decisions;

/// <summary>What recording a review came to.</summary>
internal enum ReviewResult
{
    Recorded,
    NotReviewable,
    AlreadyReviewed,
}

/// <summary>
/// Records an auditor's review outcome for a decision sent to review: its own append-only row, once per decision;
/// the decision itself is never changed. The API's review endpoint and the console's review queue both record here.
/// </summary>
internal static class DecisionReviews
{
    public static async Task<(ReviewResult Result, Review? Review)> RecordAsync(
        NpgsqlConnection conn, Guid id, (Guid TenantId, string Outcome) decision, string outcome, string reason, Guid reviewerKeyId, CancellationToken ct)
    {
        if (decision.Outcome != "review")
        {
            return (ReviewResult.NotReviewable, null);
        }

        try
        {
            var review = await conn.QuerySingleAsync<Review>(new CommandDefinition(
                $"""
                insert into decision_reviews (id, decision_id, tenant_id, outcome, reason, reviewer_key_id)
                values (@reviewId, @id, @tenant, @outcome, @reason, @reviewer)
                returning {ReviewEndpoints.Columns}
                """,
                new { reviewId = Guid.CreateVersion7(), id, tenant = decision.TenantId, outcome, reason = reason.Trim(), reviewer = reviewerKeyId },
                cancellationToken: ct));
            return (ReviewResult.Recorded, review);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return (ReviewResult.AlreadyReviewed, null);
        }
    }

    /// <summary>The review of a decision, if it has one and it is in the caller's tenant scope.</summary>
    public static Task<Review?> OfAsync(NpgsqlConnection conn, Guid decisionId, Guid? tenantScope, CancellationToken ct) =>
        conn.QuerySingleOrDefaultAsync<Review>(new CommandDefinition(
            $"select {ReviewEndpoints.Columns} from decision_reviews where decision_id = @decisionId and (@tenantScope::uuid is null or tenant_id = @tenantScope)",
            new { decisionId, tenantScope },
            cancellationToken: ct));
}
