using System.Security.Claims;

namespace Compliance.Api.Access;

/// <summary>The five roles an API key can carry. Each endpoint group names the roles it admits.</summary>
internal static class Roles
{
    public const string Admin = "admin";
    public const string Platform = "platform";
    public const string RightsHolder = "rights_holder";
    public const string Auditor = "auditor";
    public const string LikenessOwner = "likeness_owner";

    /// <summary>Authorization policy: auditors, and platforms for their own tenant.</summary>
    public const string DecisionReaders = "decision_readers";

    /// <summary>Authorization policy: auditors and admins (policy replay).</summary>
    public const string PolicyTesters = "policy_testers";

    public static readonly string[] All = [Admin, Platform, RightsHolder, Auditor, LikenessOwner];
}

/// <summary>
/// The principal a key stands for: its role and scope (tenant, rights holder, likeness profile) and its id. The API's
/// bearer scheme and the console's cookie scheme build the same principal, so every role and tenant check reads alike.
/// </summary>
internal static class ApiKeyPrincipal
{
    public static ClaimsPrincipal For(ApiKeyRecord record, string scheme)
    {
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

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}

internal static class ComplianceClaims
{
    public const string TenantId = "compliance:tenant_id";
    public const string RightsHolderId = "compliance:rights_holder_id";
    public const string KeyId = "compliance:key_id";
    public const string LikenessProfileId = "compliance:likeness_profile_id";
}

/// <summary>Reads the caller's scope from the authenticated principal. Scope comes only from the key, never from the request.</summary>
internal static class CallerExtensions
{
    public static Guid? TenantId(this ClaimsPrincipal user) => GuidClaim(user, ComplianceClaims.TenantId);

    public static Guid? RightsHolderId(this ClaimsPrincipal user) => GuidClaim(user, ComplianceClaims.RightsHolderId);

    public static Guid RequiredLikenessProfileId(this ClaimsPrincipal user) =>
        GuidClaim(user, ComplianceClaims.LikenessProfileId) ?? throw new InvalidOperationException("A likeness-owner key without a profile reached a likeness endpoint.");

    public static Guid KeyId(this ClaimsPrincipal user) => GuidClaim(user, ComplianceClaims.KeyId) ?? Guid.Empty;

    /// <summary>The tenant of a platform key; endpoints that require the platform role can rely on it.</summary>
    public static Guid RequiredTenantId(this ClaimsPrincipal user) =>
        user.TenantId() ?? throw new InvalidOperationException("A platform key without a tenant reached a platform endpoint.");

    public static Guid RequiredRightsHolderId(this ClaimsPrincipal user) =>
        user.RightsHolderId() ?? throw new InvalidOperationException("A rights-holder key without a rights holder reached a rights-holder endpoint.");

    private static Guid? GuidClaim(ClaimsPrincipal user, string type) =>
        Guid.TryParse(user.FindFirstValue(type), out var id) ? id : null;
}
