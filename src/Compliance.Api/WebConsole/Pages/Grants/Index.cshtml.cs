using Compliance.Api.Access;
using Compliance.Api.Catalog;
using Compliance.Api.Grants;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace Compliance.Api.WebConsole.Pages.Grants;

/// <summary>
/// The rights holder's grants per character and platform, newest first: each grant, each change (a newer grant for the
/// pair supersedes the older) and each revocation, with a revoke button on the grant in force. Revoking is the same
/// statement as <c>POST /v1/grants/{id}/revoke</c>: the next screening reads it.
/// </summary>
[Authorize(Policy = Roles.RightsHolder)]
internal sealed class IndexModel(NpgsqlDataSource db) : PageModel
{
    public IReadOnlyList<Grant> Grants { get; private set; } = [];

    public Dictionary<Guid, string> CharacterNames { get; private set; } = [];

    public List<string> Errors { get; } = [];

    [TempData] public string? Notice { get; set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var holder = User.RequiredRightsHolderId();
        await using var conn = await db.OpenConnectionAsync(ct);
        Grants = await GrantQueries.ListAsync(conn, holder, null, null, null, ct);
        CharacterNames = (await CharacterQueries.ListAsync(conn, holder, ct)).ToDictionary(c => c.Id, c => c.CanonicalName);
    }

    public async Task<IActionResult> OnPostRevokeAsync(Guid grantId, string? reason, CancellationToken ct)
    {
        if (reason is { Length: > 1000 })
        {
            Errors.Add("A reason is at most 1000 characters.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await OnGetAsync(ct);
            return Page();
        }

        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            var (outcome, _) = await GrantQueries.RevokeAsync(conn, grantId, User.RequiredRightsHolderId(), User.KeyId(),
                string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), ct);
            switch (outcome)
            {
                case GrantRevocation.NotFound:
                    return NotFound();
                case GrantRevocation.AlreadyRevoked:
                    Errors.Add("That grant was already revoked.");
                    Response.StatusCode = StatusCodes.Status409Conflict;
                    await OnGetAsync(ct);
                    return Page();
            }
        }

        Notice = "Grant revoked. It no longer applies from the next request.";
        return RedirectToPage();
    }

    /// <summary>What a row of the history is: the grant in force, one a newer grant changed, or a revoked one.</summary>
    public string Status(Grant g) =>
        g.RevokedAt is not null ? "revoked"
        : Grants.Any(o => o.WorkId == g.WorkId && o.TenantId == g.TenantId && o.CreatedAt > g.CreatedAt) ? "changed (superseded)"
        : "in force";
}
