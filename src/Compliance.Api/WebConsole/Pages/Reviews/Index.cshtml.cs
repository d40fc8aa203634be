using System.Globalization;
using Compliance.Api.Access;
using Compliance.Api.Decisions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace Compliance.Api.WebConsole.Pages.Reviews;

/// <summary>The review queue, oldest first, and the form that resolves an item with a required reason (auditors only).</summary>
[Authorize(Policy = Roles.Auditor)]
internal sealed class IndexModel(NpgsqlDataSource db) : PageModel
{
    public const int PageSize = 50;

    public DecisionPage? Queue { get; private set; }

    public List<string> Errors { get; } = [];

    [TempData] public string? Notice { get; set; }

    public async Task<IActionResult> OnGetAsync(string? cursor, CancellationToken ct)
    {
        long? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var c) || c < 1)
            {
                Errors.Add("That page link is not valid; start again from the first page.");
                Response.StatusCode = StatusCodes.Status400BadRequest;
                return Page();
            }

            after = c;
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        Queue = await ConsoleReviews.QueueAsync(conn, User, PageSize, after, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostResolveAsync(Guid decisionId, string? outcome, string? reason, CancellationToken ct)
    {
        if (outcome is not ("allow" or "block"))
        {
            Errors.Add("Choose an outcome: allow or block.");
        }

        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 2000)
        {
            Errors.Add("Give a reason (1 to 2000 characters).");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        if (Errors.Count == 0)
        {
            switch (await ConsoleReviews.ResolveAsync(conn, User, decisionId, outcome!, reason!, ct))
            {
                case ConsoleResolution.Resolved:
                    Notice = $"Decision resolved: {outcome}.";
                    return RedirectToPage();
                case ConsoleResolution.NotFound:
                    return NotFound();
                case ConsoleResolution.NotReviewable:
                    Errors.Add("That decision was not sent to review.");
                    break;
                default:
                    Errors.Add("That decision has already been resolved.");
                    break;
            }
        }

        Response.StatusCode = Errors.Any(e => e.StartsWith("That decision", StringComparison.Ordinal)) ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest;
        Queue = await ConsoleReviews.QueueAsync(conn, User, PageSize, null, ct);
        return Page();
    }
}
