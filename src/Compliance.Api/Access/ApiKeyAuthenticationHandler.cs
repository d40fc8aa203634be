using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Access;

/// <summary>
/// Authenticates <c>Authorization: Bearer cmp_…</c> (or <c>X-Api-Key</c>). Each request reads the
/// cluster-wide key-change number (one one-row read); a key's verification is cached per node, keyed by
/// the SHA-256 of the presented key, and trusted only while that number has not moved. A revocation
/// committed on any node therefore refuses the key on the very next request everywhere (ADR-002),
/// while an unchanged key costs one tiny read instead of a chain lookup.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys,
    IMemoryCache cache) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>How long a verification is kept at most; it is used only while the key-change number is unchanged.</summary>
    private static readonly TimeSpan KeepValid = TimeSpan.FromMinutes(5);

    /// <summary>Unknown keys are remembered briefly, so a flood of wrong keys cannot pin memory for long.</summary>
    private static readonly TimeSpan KeepInvalid = TimeSpan.FromSeconds(5);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented();
        if (presented is null)
        {
            return AuthenticateResult.NoResult();
        }

        var record = ApiKeyStore.IsWellFormed(presented) ? await VerifiedAsync(presented) : null;
        if (record is null)
        {
            // Never log the presented key.
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(ApiKeyPrincipal.For(record, SchemeName), SchemeName));
    }

    private async Task<ApiKeyRecord?> VerifiedAsync(string presented)
    {
        var ct = Context.RequestAborted;
        // Read before the lookup: a revocation that commits after this read moves the number, so the
        // next request will not trust what this one caches.
        var changeNumber = await keys.ChangeNumberAsync(ct);
        var cacheKey = "apikey:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(presented)));
        if (cache.TryGetValue(cacheKey, out Verified? cached) && cached!.ChangeNumber == changeNumber)
        {
            return cached.Record;
        }

        var record = await keys.FindAsync(presented, ct);
        cache.Set(cacheKey, new Verified(record, changeNumber), record is null ? KeepInvalid : KeepValid);
        return record;
    }

    private string? Presented()
    {
        var auth = Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return auth["Bearer ".Length..].Trim();
        }

        var header = Request.Headers["X-Api-Key"].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }

    private sealed record Verified(ApiKeyRecord? Record, long ChangeNumber);
}
