using Compliance.Api.Access;
using Compliance.Api.Decisions;
using Compliance.Api.Reviews;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace Compliance.Api.WebConsole.Pages.Decisions;

/// <summary>
/// One decision with its evidence, read as <c>GET /v1/decisions/{id}</c> reads it: another tenant's decision is a 404 to
/// a scoped key. The screened bytes are not kept (only their hash and evidence), so a face box is drawn on a canvas of
/// the frame's recorded size; the matched reference is the stored image, as a thumbnail.
/// A platform appeals its own block here through <see cref="Appeals"/> (the code of <c>POST /v1/decisions/{id}/appeals</c>)
/// and reads its appeals as that API answers them: status, outcome and public notes, never internal notes or reasons.
/// </summary>
[Authorize(Policy = Roles.DecisionReaders)]
internal sealed class DetailModel(NpgsqlDataSource db, ConsoleReviews reviews, Appeals appeals) : PageModel
{
    public DecisionDetail? Decision { get; private set; }

    public DecisionEvidence? Evidence { get; private set; }

    public DecisionReview? Review { get; private set; }

    public IReadOnlyList<AppealView> DecisionAppeals { get; private set; } = [];

    public List<string> Errors { get; } = [];

    [TempData] public string? Notice { get; set; }

    /// <summary>The statement as typed, kept when the filing is refused so nothing is lost.</summary>
    public string? Statement { get; private set; }

    /// <summary>Thumbnails of references are served to auditors only (a platform does not see rights holders' images).</summary>
    public bool ShowsReferences => User.IsInRole(Roles.Auditor);

    /// <summary>
    /// The filing form is offered to a platform key on a decision that is a block now (recorded as block, or a review a
    /// reviewer upheld) with no appeal open; <see cref="Appeals.FileAsync"/> checks all of it again.
    /// </summary>
    public bool CanAppeal =>
        User.IsInRole(Roles.Platform) && User.TenantId() is not null && Evidence is { } e
        && (DecisionAppeals.LastOrDefault(a => a.EffectiveOutcome is not null)?.EffectiveOutcome ?? Review?.Outcome ?? e.Outcome) == "block"
        && !DecisionAppeals.Any(a => a.Status == ReviewVocabulary.Open);

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct) =>
        await LoadAsync(id, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAppealAsync(Guid id, string? statement, CancellationToken ct)
    {
        if (!User.IsInRole(Roles.Platform) || User.TenantId() is not { } tenant)
        {
            return Forbid();
        }

        Statement = statement;
        var invalid = new AppealRequestValidator().Validate(new AppealRequest(statement));
        if (!invalid.IsValid)
        {
            Errors.AddRange(invalid.Errors.Select(e => Sentence(e.ErrorMessage)));
            return await RefusedAsync(id, StatusCodes.Status400BadRequest, ct);
        }

        var filed = await appeals.FileAsync(id, statement!, tenant, User.KeyId(), ct);
        if (filed.Refusal is { } refusal)
        {
            if (refusal.Status == StatusCodes.Status404NotFound)
            {
                return NotFound();
            }

            Errors.Add($"{refusal.Title} {refusal.Detail}");
            return await RefusedAsync(id, refusal.Status, ct);
        }

        Notice = "Appeal filed. It is in the review queue the decision came from; its outcome and public notes appear here.";
        return RedirectToPage(new { id });
    }

    private async Task<IActionResult> RefusedAsync(Guid id, int status, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        Response.StatusCode = status;
        return Page();
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken ct)
    {
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            if (await DecisionQueries.GetAsync(conn, id, User.TenantId(), ct) is not { } detail)
            {
                return false;
            }

            Decision = detail;
            Evidence = DecisionEvidence.Read(detail.Decision);
        }

        Review = await reviews.ReviewOfAsync(User, id, ct);
        DecisionAppeals = (await appeals.OfDecisionAsync(id, User.TenantId(), ct)).Value ?? [];
        return true;
    }

    private static string Sentence(string message) => message.Length == 0 ? message : char.ToUpperInvariant(message[0]) + message[1..];
}
