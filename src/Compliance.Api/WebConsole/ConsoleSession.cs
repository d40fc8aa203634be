using Compliance.Api.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Caching.Memory;

namespace Compliance.Api.WebConsole;

/// <summary>
/// The console's session: an HTTP-only, SameSite=Strict cookie (Secure over HTTPS) that holds the principal of the API key
/// it was opened with — role, scope and key id, never the key itself. Every request re-checks that key through
/// <see cref="ApiKeyStore"/> by the same rule as the bearer scheme (ADR-002): the cluster-wide key-change number is read
/// on every request and the key re-verified whenever it moved, so a key revoked on any node closes its sessions on the
/// next request.
/// </summary>
internal sealed class ConsoleSession(ApiKeyStore keys, IMemoryCache cache) : CookieAuthenticationEvents
{
    public const string Scheme = "Console";

    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var ct = context.HttpContext.RequestAborted;
        if (context.Principal?.KeyId() is not { } keyId || keyId == Guid.Empty)
        {
            await RejectAsync(context);
            return;
        }

        var changeNumber = await keys.ChangeNumberAsync(ct);
        var cacheKey = "console-key:" + keyId.ToString("N");
        if (!cache.TryGetValue(cacheKey, out Verified? verified) || verified!.ChangeNumber != changeNumber)
        {
            verified = new Verified(await keys.FindValidByIdAsync(keyId, ct), changeNumber);
            cache.Set(cacheKey, verified, TimeSpan.FromMinutes(5));
        }

        if (verified.Record is not { } record)
        {
            await RejectAsync(context);
            return;
        }

        // The principal is rebuilt from the key as it is now, not trusted from the cookie.
        context.ReplacePrincipal(ApiKeyPrincipal.For(record, Scheme));
    }

    /// <summary>A signed-in key without the page's role gets a plain 403 at the address it asked for (not a redirect).</summary>
    public override Task RedirectToAccessDenied(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    private static async Task RejectAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(Scheme);
    }

    private sealed record Verified(ApiKeyRecord? Record, long ChangeNumber);
}
