using Compliance.Api.Access;
using Compliance.Api.Decisions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace Compliance.Api.WebConsole.Pages.Decisions;

/// <summary>
/// One decision with its evidence, read as <c>GET /v1/decisions/{id}</c> reads it: another tenant's decision is a 404 to
/// a scoped key. The screened bytes are not kept (only their hash and evidence), so a face box is drawn on a canvas of
/// the frame's recorded size; the matched reference is the stored image, as a thumbnail.
/// </summary>
[Authorize(Policy = Roles.DecisionReaders)]
internal sealed class DetailModel(NpgsqlDataSource db, ConsoleReviews reviews) : PageModel
{
    public DecisionDetail? Decision { get; private set; }

    public DecisionEvidence? Evidence { get; private set; }

    public Compliance.Api.Reviews.DecisionReview? Review { get; private set; }

    /// <summary>Thumbnails of references are served to auditors only (a platform does not see rights holders' images).</summary>
    public bool ShowsReferences => User.IsInRole(Roles.Auditor);

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await DecisionQueries.GetAsync(conn, id, User.TenantId(), ct) is not { } detail)
        {
            return NotFound();
        }

        Decision = detail;
        Evidence = DecisionEvidence.Read(detail.Decision);
        Review = await reviews.ReviewOfAsync(User, id, ct);
        return Page();
    }
}
