using FluentValidation;

namespace Compliance.Api.Grants;

/// <summary>A rights holder's terms for one character and one platform.</summary>
internal sealed record GrantRequest(
    Guid? CharacterId,
    Guid? TenantId,
    string? Kind,
    int? RevenueShareBasisPoints,
    bool AttributionRequired,
    DateTimeOffset? ValidFrom,
    DateTimeOffset? ValidUntil,
    IReadOnlyList<string>? DisallowedContexts);

internal sealed record RevokeGrantRequest(string? Reason);

internal sealed record Grant
{
    public Guid Id { get; init; }
    public Guid CharacterId { get; init; }
    public Guid TenantId { get; init; }
    public Guid RightsHolderId { get; init; }
    public string Kind { get; init; } = "";
    public int? RevenueShareBasisPoints { get; init; }
    public bool AttributionRequired { get; init; }
    public DateTimeOffset? ValidFrom { get; init; }
    public DateTimeOffset? ValidUntil { get; init; }
    public string[] DisallowedContexts { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public string? RevocationReason { get; init; }
}

internal static class GrantKinds
{
    public const string Deny = "deny";
    public const string Allow = "allow";
    public const string AllowWithRevenueShare = "allow_with_revenue_share";

    public static readonly string[] All = [Deny, Allow, AllowWithRevenueShare];
}

/// <summary>
/// The fixed vocabulary of content contexts a grant can exclude. Platforms declare the contexts of
/// a request (their own content rating); a grant that excludes one of them does not apply.
/// </summary>
internal static class ContentContexts
{
    public static readonly string[] All = ["violence", "sexual", "political", "drugs", "alcohol", "gambling", "horror", "hate", "advertising", "children"];
}

internal sealed class GrantRequestValidator : AbstractValidator<GrantRequest>
{
    public GrantRequestValidator()
    {
        RuleFor(r => r.CharacterId).NotEmpty();
        RuleFor(r => r.TenantId).NotEmpty();
        RuleFor(r => r.Kind).NotEmpty().Must(k => GrantKinds.All.Contains(k)).WithMessage($"Kind must be one of: {string.Join(", ", GrantKinds.All)}.");
        RuleFor(r => r.RevenueShareBasisPoints).NotNull().InclusiveBetween(1, 10_000)
            .When(r => r.Kind == GrantKinds.AllowWithRevenueShare)
            .WithMessage("allow_with_revenue_share needs revenueShareBasisPoints between 1 and 10000 (1 bp = 0.01%).");
        RuleFor(r => r.RevenueShareBasisPoints).Null().When(r => r.Kind != GrantKinds.AllowWithRevenueShare)
            .WithMessage("revenueShareBasisPoints applies only to allow_with_revenue_share.");
        RuleFor(r => r.ValidUntil).GreaterThan(r => r.ValidFrom).When(r => r.ValidFrom is not null && r.ValidUntil is not null)
            .WithMessage("validUntil must be after validFrom.");
        RuleFor(r => r.DisallowedContexts).Must(c => c is null || c.Count <= ContentContexts.All.Length);
        RuleForEach(r => r.DisallowedContexts).Must(c => ContentContexts.All.Contains(c))
            .WithMessage($"Unknown context; known: {string.Join(", ", ContentContexts.All)}.");
    }
}

internal sealed class RevokeGrantRequestValidator : AbstractValidator<RevokeGrantRequest>
{
    public RevokeGrantRequestValidator() => RuleFor(r => r.Reason).MaximumLength(1000);
}
