using System.Globalization;
using System.Text;
using Compliance.Api.Access;
using Compliance.Api.Policies;
using Compliance.Generation.Gates;
using Compliance.Policies.Engine;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Compliance.Api.WebConsole.Pages.Replay;

/// <summary>
/// Policy replay for auditors and admins: a candidate policy set (uploaded <c>*.policy.yaml</c> files and/or one pasted
/// file, the format of <c>policies/</c>) and a time range, run through <see cref="PolicyReplay"/> with the checks of
/// <c>POST /v1/policies/replay</c>: the same loader (every error with its file and line), the same range bound, and a
/// tenant-scoped key replays only its own tenant. Read-only: replay writes nothing.
/// </summary>
[Authorize(Policy = Roles.PolicyTesters)]
internal sealed class IndexModel(PolicyReplay replay, IPolicySource active, TimeProvider clock) : PageModel
{
    private const string TimeFormat = "yyyy-MM-ddTHH:mm";

    [BindProperty] public string? From { get; set; }

    [BindProperty] public string? To { get; set; }

    [BindProperty] public string? PastedName { get; set; }

    [BindProperty] public string? PastedContent { get; set; }

    [BindProperty] public List<IFormFile> Files { get; set; } = [];

    public List<string> Errors { get; } = [];

    public ReplayReport? Report { get; private set; }

    public string ActiveVersion => active.Current.Version;

    public void OnGet()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        From = now.AddHours(-1).ToString(TimeFormat, CultureInfo.InvariantCulture);
        To = now.AddMinutes(1).ToString(TimeFormat, CultureInfo.InvariantCulture);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var from = ParseTime(From, "From");
        var to = ParseTime(To, "To");
        var sources = new List<PolicySource>();
        var maxBytes = (long)replay.Options.MaxFileChars * 4;
        foreach (var file in Files)
        {
            var name = Path.GetFileName(file.FileName);
            if (file.Length > maxBytes)
            {
                Errors.Add($"{name}: the file is larger than {replay.Options.MaxFileChars} characters.");
                continue;
            }

            using var reader = new StreamReader(file.OpenReadStream(), new UTF8Encoding(false, throwOnInvalidBytes: true));
            try
            {
                sources.Add(new PolicySource(name, await reader.ReadToEndAsync(ct)));
            }
            catch (DecoderFallbackException)
            {
                Errors.Add($"{name}: the file is not UTF-8 text.");
            }
        }

        if (!string.IsNullOrWhiteSpace(PastedContent))
        {
            if (string.IsNullOrWhiteSpace(PastedName))
            {
                Errors.Add("A pasted policy needs a file name (NN-name.policy.yaml; the number orders the rules).");
            }
            else
            {
                sources.Add(new PolicySource(PastedName.Trim(), PastedContent.Replace("\r\n", "\n", StringComparison.Ordinal)));
            }
        }
        else if (!string.IsNullOrWhiteSpace(PastedName))
        {
            Errors.Add($"The pasted policy {PastedName.Trim()} has no content.");
        }

        if (sources.Count == 0 && Errors.Count == 0)
        {
            Errors.Add("Give at least one policy file: upload the candidate set's files or paste one.");
        }

        if (from is { } f && to is { } t && replay.CheckRange(f, t) is { } badRange)
        {
            Errors.Add("Bad range: " + badRange);
        }

        if (Errors.Count > 0)
        {
            return Refused();
        }

        var loaded = replay.Load(sources);
        if (loaded.Set is not { } candidate)
        {
            Errors.Add("The candidate policy set is invalid:");
            Errors.AddRange(loaded.Errors.Select(e => e.ToString()));
            return Refused();
        }

        Report = await replay.RunAsync(candidate, new ReplayRange(from!.Value, to!.Value, User.TenantId(), 5), active.Current.Version, ct);
        return Page();
    }

    private PageResult Refused()
    {
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private DateTimeOffset? ParseTime(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Errors.Add($"{field} is required (the range is bounded).");
            return null;
        }

        if (DateTime.TryParseExact(value, [TimeFormat, "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return new DateTimeOffset(at, TimeSpan.Zero);
        }

        Errors.Add($"{field} must be a UTC date and time (yyyy-mm-ddThh:mm).");
        return null;
    }
}
