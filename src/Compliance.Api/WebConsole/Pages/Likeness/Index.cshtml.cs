using System.Globalization;
using Compliance.Api.Access;
using Compliance.Api.Decisions;
using Compliance.Api.Generations;
using Compliance.Api.Likeness;
using FluentValidation;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace Compliance.Api.WebConsole.Pages.Likeness;

/// <summary>
/// A person's consent (current and history, with a form that sets a new one, checked by the API's own validator) and
/// every decision and generation that involved them, read as <c>/v1/likeness/decisions</c> and
/// <c>/v1/likeness/generations</c> read them.
/// </summary>
[Authorize(Policy = Roles.LikenessOwner)]
internal sealed class IndexModel(NpgsqlDataSource db, IValidator<ConsentRequest> validator) : PageModel
{
    public const int Shown = 50;

    public IReadOnlyList<Consent> Consents { get; private set; } = [];

    public DecisionPage? Decisions { get; private set; }

    public IReadOnlyList<LikenessGenerationView> Generations { get; private set; } = [];

    public List<string> Errors { get; } = [];

    [TempData] public string? Notice { get; set; }

    [BindProperty] public string? Mode { get; set; }
    [BindProperty] public string? Accounts { get; set; }
    [BindProperty] public string? Tenants { get; set; }
    [BindProperty] public string? ExpiresAt { get; set; }

    public async Task<IActionResult> OnGetAsync(string? cursor, CancellationToken ct)
    {
        long? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var c) || c < 1)
            {
                Errors.Add("That page link is not valid; start again from the first page.");
                Response.StatusCode = StatusCodes.Status400BadRequest;
            }
            else
            {
                after = c;
            }
        }

        await LoadAsync(after, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostConsentAsync(CancellationToken ct)
    {
        var accounts = new List<PlatformAccount>();
        foreach (var line in Lines(Accounts))
        {
            // One account a line: "<tenant id> <account>".
            var parts = line.Split([' ', '\t', ':'], 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && Guid.TryParse(parts[0], out var tenant))
            {
                accounts.Add(new PlatformAccount(tenant, parts[1]));
            }
            else
            {
                Errors.Add($"\"{Short(line)}\" is not \"<platform id> <account>\".");
            }
        }

        var tenants = new List<Guid>();
        foreach (var line in Lines(Tenants))
        {
            if (Guid.TryParse(line, out var t))
            {
                tenants.Add(t);
            }
            else
            {
                Errors.Add($"\"{Short(line)}\" is not a platform id.");
            }
        }

        DateTimeOffset? expires = null;
        if (!string.IsNullOrWhiteSpace(ExpiresAt))
        {
            if (DateTimeOffset.TryParse(ExpiresAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            {
                expires = at;
            }
            else
            {
                Errors.Add("Expires must be a date and time (UTC).");
            }
        }

        var request = new ConsentRequest(Mode, accounts, tenants, expires);
        if (Errors.Count == 0 && await validator.ValidateAsync(request, ct) is { IsValid: false } invalid)
        {
            Errors.AddRange(invalid.Errors.Select(e => e.ErrorMessage));
        }

        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(null, ct);
            return Page();
        }

        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            await LikenessQueries.SetConsentAsync(conn, User.RequiredLikenessProfileId(), request, ct);
        }

        Notice = "Consent saved. It applies from the next request.";
        return RedirectToPage();
    }

    private async Task LoadAsync(long? cursor, CancellationToken ct)
    {
        var profile = User.RequiredLikenessProfileId();
        await using var conn = await db.OpenConnectionAsync(ct);
        Consents = await LikenessQueries.ConsentHistoryAsync(conn, profile, ct);
        Decisions = await LikenessQueries.DecisionsAsync(conn, profile, Shown, cursor, ct);
        Generations = await GenerationFeeds.LikenessGenerationsAsync(conn, profile, Shown, ct);
        if (Mode is null && Consents.FirstOrDefault() is { RevokedAt: null } current)
        {
            Mode = current.Mode;
            Accounts = string.Join('\n', current.AllowedAccounts.Select(a => a.IndexOf(':', StringComparison.Ordinal) is var i and > 0 ? $"{a[..i]} {a[(i + 1)..]}" : a));
            Tenants = string.Join('\n', current.AllowedTenants);
        }
    }

    private static IEnumerable<string> Lines(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(1001);

    private static string Short(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
