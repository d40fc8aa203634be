using FluentValidation;

namespace Compliance.Api.Grants;

/// <summary>A rights holder's terms for one work — a character or a recording (exactly one of the two ids) — and one platform.</summary>
internal sealed record GrantRequest(
    Guid? CharacterId,
    Guid? TenantId,
    string? Kind,
    int? RevenueShareBasisPoints,
    bool AttributionRequired,
    DateTimeOffset? ValidFrom,
    DateTimeOffset? ValidUntil,
    IReadOnlyList<string>? DisallowedContexts,
    Guid? RecordingId = null)
{
    /// <summary>The catalog work granted and its type: characters and recordings share one catalog and one id space.</summary>
    public (Guid Id, string Type) Work => CharacterId is { } character ? (character, WorkTypes.Character) : (RecordingId ?? Guid.Empty, WorkTypes.Recording);
}

/// <summary>The kinds of work in the catalog (the <c>characters.kind</c> column); each is also its signals' entity type.</summary>
internal static class WorkTypes
{
    public const string Character = Classifiers.Text.EntityTypes.Character;
    public const string Recording = Classifiers.Text.EntityTypes.Recording;
}

internal sealed record RevokeGrantRequest(string? Reason);

internal sealed record Grant
{
    public Guid Id { get; init; }

    /// <summary>The granted work's id (<c>grants.character_id</c>, which names characters and recordings alike).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Guid WorkId { get; init; }

    /// <summary><c>character</c> or <c>recording</c>.</summary>
    public string WorkType { get; init; } = WorkTypes.Character;

    public Guid? CharacterId => WorkType == WorkTypes.Character ? WorkId : null;

    public Guid? RecordingId => WorkType == WorkTypes.Recording ? WorkId : null;

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
        RuleFor(r => r.CharacterId).NotEmpty().When(r => r.RecordingId is null)
            .WithMessage("Name the work: characterId or recordingId.");
        RuleFor(r => r.RecordingId).NotEmpty().When(r => r.CharacterId is null)
            .WithMessage("Name the work: characterId or recordingId.");
        RuleFor(r => r.RecordingId).Null().When(r => r.CharacterId is not null)
            .WithMessage("Name one work: characterId or recordingId, not both.");
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
