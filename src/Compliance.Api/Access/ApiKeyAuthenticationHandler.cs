using System.Buffers.Binary;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
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

        var principal = ApiKeyStore.IsWellFormed(presented) ? await VerifiedAsync(presented) : null;
        if (principal is null)
        {
            // Never log the presented key.
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        // A new ticket (and its properties) per request; the principal is the verification's, shared by every request
        // that presents the same key under the same key-change number. Nothing in this service changes a principal
        // after authentication (no claims transformation), so sharing it is reading it.
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private async Task<ClaimsPrincipal?> VerifiedAsync(string presented)
    {
        var ct = Context.RequestAborted;
        // Read before the lookup: a revocation that commits after this read moves the number, so the
        // next request will not trust what this one caches.
        var changeNumber = await keys.ChangeNumberAsync(ct);
        var cacheKey = PresentedKeyHash.Of(presented);
        if (cache.TryGetValue(cacheKey, out Verified? cached) && cached!.ChangeNumber == changeNumber)
        {
            return cached.Principal;
        }

        var record = await keys.FindAsync(presented, ct);
        var principal = record is null ? null : ApiKeyPrincipal.For(record, SchemeName);
        cache.Set(cacheKey, new Verified(principal, changeNumber), principal is null ? KeepInvalid : KeepValid);
        return principal;
    }

    // The key as presented: the Authorization header without its "Bearer " prefix, or X-Api-Key (Kestrel's own string
    // unless there is whitespace to cut).
    private string? Presented()
    {
        var auth = Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var key = auth.AsSpan("Bearer ".Length).Trim();
            return key.Length == 0 ? "" : key.ToString();
        }

        var header = Request.Headers["X-Api-Key"].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }

    /// <summary>What a verification is cached under: the presented key's SHA-256 (the key itself is never kept), as a value.</summary>
    private readonly record struct PresentedKeyHash(ulong A, ulong B, ulong C, ulong D)
    {
        public static PresentedKeyHash Of(string presented)
        {
            // A well-formed key is at most 4 + 12 + 2 + 100 ASCII characters; the encoder's bound covers anything longer.
            Span<byte> utf8 = presented.Length <= 256 ? stackalloc byte[256 * 3] : new byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
            var length = Encoding.UTF8.GetBytes(presented, utf8);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(utf8[..length], hash);
            return new PresentedKeyHash(
                BinaryPrimitives.ReadUInt64LittleEndian(hash), BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]), BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]));
        }
    }

    /// <summary>A verification: the key's principal (null: unknown or revoked) under the key-change number it was read after.</summary>
    private sealed record Verified(ClaimsPrincipal? Principal, long ChangeNumber);
}
