using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Access;

/// <summary>
/// Authenticates <c>Authorization: Bearer cmp_…</c> (or <c>X-Api-Key</c>). Verified keys are cached
/// for a few seconds, keyed by the SHA-256 of the presented key, so the hot screening path does not
/// pay a database round trip per request; a revoked key stops working within that window.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys,
    IMemoryCache cache) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented();
        if (presented is null)
        {
            return AuthenticateResult.NoResult();
        }

        var cacheKey = "apikey:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(presented)));
        if (!cache.TryGetValue(cacheKey, out ApiKeyRecord? record))
        {
            record = await keys.FindAsync(presented, Context.RequestAborted);
            cache.Set(cacheKey, record, CacheFor);
        }

        if (record is null)
        {
            // Never log the presented key.
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.Role, record.Role),
            new(ClaimTypes.Name, record.Name),
            new(ComplianceClaims.KeyId, record.Id.ToString()),
        };
        if (record.TenantId is { } t)
        {
            claims.Add(new Claim(ComplianceClaims.TenantId, t.ToString()));
        }

        if (record.RightsHolderId is { } r)
        {
            claims.Add(new Claim(ComplianceClaims.RightsHolderId, r.ToString()));
        }

        if (record.LikenessProfileId is { } p)
        {
            claims.Add(new Claim(ComplianceClaims.LikenessProfileId, p.ToString()));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
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
}
