using System.Globalization;
using Compliance.Api.Access;
using Compliance.Api.Decisions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Npgsql;

namespace Compliance.Api.WebConsole.Pages.Decisions;

/// <summary>
/// The decision list, newest first, keyset-paged on the sequence number (<see cref="DecisionQueries.PageAsync"/>, the same
/// read as <c>GET /v1/decisions</c>). Auditors see every tenant (or theirs, if their key is scoped); platforms only theirs.
/// A filter that does not parse is a 400 with the form and its errors, never a silently ignored filter.
/// </summary>
[Authorize(Policy = Roles.DecisionReaders)]
internal sealed class IndexModel(NpgsqlDataSource db) : PageModel
{
    public const int PageSize = 50;

    public static readonly string[] Outcomes = ["allow", "review", "block"];

    /// <summary>What a decision was about (the log's subject).</summary>
    public static readonly string[] Kinds = ["prompt", "image", "video", "generation"];

    [BindProperty(SupportsGet = true)] public string? Outcome { get; set; }
    [BindProperty(SupportsGet = true)] public string? Kind { get; set; }
    [BindProperty(SupportsGet = true)] public string? Rule { get; set; }
    [BindProperty(SupportsGet = true)] public string? Tenant { get; set; }
    [BindProperty(SupportsGet = true)] public string? From { get; set; }
    [BindProperty(SupportsGet = true)] public string? To { get; set; }
    [BindProperty(SupportsGet = true)] public string? Cursor { get; set; }

    public List<string> Errors { get; } = [];

    public DecisionPage? Results { get; private set; }

    /// <summary>The key sees one tenant only, so the tenant filter is not offered.</summary>
    public bool TenantScoped => User.TenantId() is not null;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var outcome = Blank(Outcome);
        if (outcome is not null && !Outcomes.Contains(outcome))
        {
            Errors.Add("Outcome must be allow, review or block.");
        }

        var kind = Blank(Kind);
        if (kind is not null && !Kinds.Contains(kind))
        {
            Errors.Add($"Kind must be one of {string.Join(", ", Kinds)}.");
        }

        var rule = Blank(Rule);
        if (rule is { Length: > 200 })
        {
            Errors.Add("A rule name is at most 200 characters.");
        }

        Guid? tenant = null;
        if (Blank(Tenant) is { } t)
        {
            if (Guid.TryParse(t, out var parsed))
            {
                tenant = parsed;
            }
            else
            {
                Errors.Add("Tenant must be a tenant id (a UUID).");
            }
        }

        var from = Instant(From, "From");
        var to = Instant(To, "To");
        if (from is not null && to is not null && to <= from)
        {
            Errors.Add("To must be after From.");
        }

        long? cursor = null;
        if (Blank(Cursor) is { } c)
        {
            if (long.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= 1)
            {
                cursor = parsed;
            }
            else
            {
                Errors.Add("That page link is not valid; start again from the first page.");
            }
        }

        if (User.TenantId() is { } scoped)
        {
            if (tenant is not null && tenant != scoped)
            {
                Errors.Add("This key reads only its own tenant's decisions.");
            }

            tenant = scoped;
        }

        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        Results = await DecisionQueries.PageAsync(conn, new DecisionFilter(tenant, outcome, from, to, rule, Subject: kind), PageSize, cursor, ct);
        return Page();
    }

    /// <summary>The query of a page with the same filters: the first (no cursor) or the one after <paramref name="cursor"/>.</summary>
    public string PageUrl(long? cursor) => QueryString.Create(new Dictionary<string, string?>
    {
        ["outcome"] = Blank(Outcome), ["kind"] = Blank(Kind), ["rule"] = Blank(Rule), ["tenant"] = TenantScoped ? null : Blank(Tenant),
        ["from"] = Blank(From), ["to"] = Blank(To), ["cursor"] = cursor?.ToString(CultureInfo.InvariantCulture),
    }.Where(p => p.Value is not null)).ToUriComponent();

    private DateTimeOffset? Instant(string? value, string label)
    {
        if (Blank(value) is not { } v)
        {
            return null;
        }

        // datetime-local sends "2026-11-25T10:30"; a full ISO 8601 instant is accepted too. Times without an offset are UTC.
        if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }

        Errors.Add($"{label} must be a date and time, e.g. 2026-11-25T10:30 (UTC).");
        return null;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
