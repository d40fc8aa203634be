using System.Globalization;
using Compliance.Api.Access;
using Compliance.Api.Reviews;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Compliance.Api.WebConsole.Pages.Reviews;

/// <summary>
/// The review queue (reviews and appeals), oldest first: claim an item, add an internal or public note, resolve it
/// (uphold or overturn) with a required reason. Auditors only; every action is the review API's own, logged alike.
/// </summary>
[Authorize(Policy = Roles.Auditor)]
internal sealed class IndexModel(ConsoleReviews reviews) : PageModel
{
    public const int PageSize = 50;

    public ReviewItemPage? Queue { get; private set; }

    /// <summary><c>review</c>, <c>appeal</c> or empty for both.</summary>
    [BindProperty(SupportsGet = true)] public string? Kind { get; set; }

    public List<string> Errors { get; } = [];

    [TempData] public string? Notice { get; set; }

    public async Task<IActionResult> OnGetAsync(string? cursor, CancellationToken ct)
    {
        long? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var c) || c < 1)
            {
                return Refuse(StatusCodes.Status400BadRequest, "That page link is not valid; start again from the first page.");
            }

            after = c;
        }

        if (Kind is { Length: > 0 } && !ReviewVocabulary.Kinds.Contains(Kind))
        {
            Kind = null;
            return Refuse(StatusCodes.Status400BadRequest, "Choose a kind: review or appeal.");
        }

        Queue = await reviews.QueueAsync(User, Filter(), PageSize, after, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostClaimAsync(Guid itemId, CancellationToken ct) =>
        await Done(await reviews.ClaimAsync(User, itemId, ct), "Item claimed: it is yours until the claim lapses.", ct);

    public async Task<IActionResult> OnPostNoteAsync(Guid itemId, string? visibility, string? text, CancellationToken ct)
    {
        if (visibility is null || !ReviewVocabulary.Visibilities.Contains(visibility))
        {
            Errors.Add("Choose who sees the note: internal (auditors) or public (the platform too).");
        }

        if (string.IsNullOrWhiteSpace(text) || text.Length > 2000)
        {
            Errors.Add("Write a note (1 to 2000 characters).");
        }

        return Errors.Count > 0
            ? await Invalid(ct)
            : await Done(await reviews.NoteAsync(User, itemId, visibility!, text!.Trim(), ct), "Note added.", ct);
    }

    public async Task<IActionResult> OnPostResolveAsync(Guid itemId, string? resolution, string? reason, string? publicNote, CancellationToken ct)
    {
        if (resolution is null || !ReviewVocabulary.Resolutions.Contains(resolution))
        {
            Errors.Add("Choose a resolution: uphold or overturn.");
        }

        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 2000)
        {
            Errors.Add("Give a reason (1 to 2000 characters).");
        }

        if (publicNote is { Length: > 2000 })
        {
            Errors.Add("Keep the public note under 2000 characters.");
        }

        return Errors.Count > 0
            ? await Invalid(ct)
            : await Done(
                await reviews.ResolveAsync(User, itemId, resolution!, reason!.Trim(), string.IsNullOrWhiteSpace(publicNote) ? null : publicNote.Trim(), ct),
                $"Item resolved: {resolution}.",
                ct);
    }

    private ReviewFilter Filter() => new(Kind: Kind is { Length: > 0 } ? Kind : null);

    private async Task<IActionResult> Done(Refusal? refusal, string notice, CancellationToken ct)
    {
        if (refusal is null)
        {
            Notice = notice;
            return RedirectToPage(new { kind = Kind });
        }

        if (refusal.Status == StatusCodes.Status404NotFound)
        {
            return NotFound();
        }

        Errors.Add($"{refusal.Title} {refusal.Detail}");
        Response.StatusCode = refusal.Status;
        Queue = await reviews.QueueAsync(User, Filter(), PageSize, null, ct);
        return Page();
    }

    private async Task<IActionResult> Invalid(CancellationToken ct)
    {
        Response.StatusCode = StatusCodes.Status400BadRequest;
        Queue = await reviews.QueueAsync(User, Filter(), PageSize, null, ct);
        return Page();
    }

    private PageResult Refuse(int status, string error)
    {
        Errors.Add(error);
        Response.StatusCode = status;
        return Page();
    }
}
