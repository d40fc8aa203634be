using System.Security.Claims;
using Compliance.Api.Access;
using Compliance.Api.Reviews;

namespace Compliance.Api.WebConsole;

/// <summary>
/// The console's one seam onto the review workflow (<see cref="ReviewQueue"/>, the class the review API calls): the
/// queue, claims, notes and resolutions go through exactly the code, the checks and the log entries of the API.
/// </summary>
internal sealed class ConsoleReviews(ReviewQueue queue)
{
    public static Actor ActorOf(ClaimsPrincipal user) => new(user.KeyId(), user.TenantId());

    public Task<ReviewItemPage> QueueAsync(ClaimsPrincipal user, ReviewFilter filter, int limit, long? cursor, CancellationToken ct) =>
        queue.ListAsync(filter, limit, cursor, ActorOf(user), ct);

    /// <summary>A decision's resolved review; its internal reason and reviewer only for auditors, as in the API.</summary>
    public async Task<DecisionReview?> ReviewOfAsync(ClaimsPrincipal user, Guid decisionId, CancellationToken ct) =>
        (await queue.DecisionReviewAsync(decisionId, user.TenantId(), isAuditor: user.IsInRole(Roles.Auditor), ct)).Value;

    public async Task<Refusal?> ClaimAsync(ClaimsPrincipal user, Guid itemId, CancellationToken ct) =>
        (await queue.ClaimAsync(itemId, ActorOf(user), ct)).Refusal;

    public async Task<Refusal?> NoteAsync(ClaimsPrincipal user, Guid itemId, string visibility, string text, CancellationToken ct) =>
        (await queue.AddNoteAsync(itemId, visibility, text, ActorOf(user), ct)).Refusal;

    /// <summary>Claims the item (renewing the caller's own claim) and resolves it, as the one-step form on the page does.</summary>
    public async Task<Refusal?> ResolveAsync(ClaimsPrincipal user, Guid itemId, string resolution, string reason, string? publicNote, CancellationToken ct)
    {
        if ((await queue.ClaimAsync(itemId, ActorOf(user), ct)).Refusal is { } notClaimed)
        {
            return notClaimed;
        }

        return (await queue.ResolveAsync(itemId, resolution, reason, publicNote, ActorOf(user), ct)).Refusal;
    }
}
