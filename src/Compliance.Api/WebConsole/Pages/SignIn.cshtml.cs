using Compliance.Api.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Compliance.Api.WebConsole.Pages;

/// <summary>
/// Exchanges an API key for a console session. The key travels once, in a POSTed form (never a URL), is verified by
/// <see cref="ApiKeyStore"/> exactly as a bearer key is, and is not kept: the session cookie holds the key's principal.
/// </summary>
[AllowAnonymous]
internal sealed class SignInModel(ApiKeyStore keys, SignInThrottle throttle) : PageModel
{
    /// <summary>The longest key the form accepts; anything longer is not a key.</summary>
    private const int MaxKeyLength = 200;

    public string? Error { get; private set; }

    public string? ReturnUrl { get; private set; }

    public void OnGet(string? returnUrl) => ReturnUrl = Local(returnUrl);

    public async Task<IActionResult> OnPostAsync(string? key, string? returnUrl, CancellationToken ct)
    {
        ReturnUrl = Local(returnUrl);
        var client = SignInThrottle.ClientOf(HttpContext);
        if (!throttle.MayTry(client, out var retryAfter))
        {
            // Not checked at all, so a throttled client learns nothing about any key, right or wrong.
            var minutes = Math.Max(1, (int)Math.Ceiling((retryAfter ?? TimeSpan.FromMinutes(1)).TotalMinutes));
            Error = $"Too many keys were refused from your address. Try again in {minutes} minute{(minutes == 1 ? "" : "s")}.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            if (retryAfter is { } wait)
            {
                Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Page();
        }

        var presented = key?.Trim();
        var record = presented is { Length: > 0 and <= MaxKeyLength } ? await keys.FindAsync(presented, ct) : null;
        if (record is null)
        {
            // Never echo the key back, and never say whether it was unknown, malformed or revoked.
            throttle.Refused(client);
            Error = "That key was not accepted: it is unknown, malformed or revoked.";
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }

        await HttpContext.SignInAsync(ConsoleSession.Scheme, ApiKeyPrincipal.For(record, ConsoleSession.Scheme),
            new AuthenticationProperties { IsPersistent = false });
        return LocalRedirect(ReturnUrl ?? ConsoleExtensions.PathPrefix);
    }

    /// <summary>Only a console path is a place to return to: anything else (another site, the API) goes home.</summary>
    private string? Local(string? returnUrl) =>
        returnUrl is { Length: > 0 } && Url.IsLocalUrl(returnUrl) && returnUrl.StartsWith(ConsoleExtensions.PathPrefix + "/", StringComparison.Ordinal)
            ? returnUrl
            : null;
}
