using Compliance.Api.Names;
using FluentValidation;

namespace Compliance.Api.Likeness;

/// <summary>A platform account: the tenant it lives on and the platform's own account id.</summary>
internal sealed record PlatformAccount(Guid TenantId, string Account);

internal sealed record ProfileRequest(string? DisplayName, IReadOnlyList<string>? NameVariants, IReadOnlyList<string>? Handles, IReadOnlyList<PlatformAccount>? OwnAccounts);

internal sealed record ConsentRequest(string? Mode, IReadOnlyList<PlatformAccount>? AllowedAccounts, IReadOnlyList<Guid>? AllowedTenants, DateTimeOffset? ExpiresAt);

internal sealed record RevokeConsentRequest(string? Reason);

internal sealed record CreateProfileRequest(string? DisplayName);

internal sealed record PublicFigureRequest(string? Name, IReadOnlyList<string>? Aliases, Guid? ProfileId);

internal sealed record Profile
{
    public Guid Id { get; init; }
    public string DisplayName { get; init; } = "";
    public string[] NameVariants { get; init; } = [];
    public string[] Handles { get; init; } = [];
    public string[] OwnAccounts { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

internal sealed record Consent
{
    public Guid Id { get; init; }
    public string Mode { get; init; } = "";
    public string[] AllowedAccounts { get; init; } = [];
    public Guid[] AllowedTenants { get; init; } = [];
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public string? RevocationReason { get; init; }
}

internal sealed record PublicFigure
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string[] Aliases { get; init; } = [];
    public Guid? ProfileId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Lists of names (variants, handles, aliases): at most 50, none blank or over 200 characters, distinct ignoring case.</summary>
internal sealed class NameListValidator : AbstractValidator<IReadOnlyList<string>>
{
    public NameListValidator(string what)
    {
        RuleFor(l => l.Count).LessThanOrEqualTo(50).WithMessage($"At most 50 {what}.");
        RuleForEach(l => l).Must(n => !string.IsNullOrWhiteSpace(n)).WithMessage($"{what} must not be empty or blank.").MaximumLength(200)
            .Must(NameKeys.BlankOrMatchable).WithMessage($"{what} must contain a letter or digit: names are matched by their letters and digits.");
        RuleFor(l => l).Must(l => l.Select(n => n?.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).Count() == l.Count)
            .WithMessage($"{what} must be distinct (ignoring case).");
    }
}

internal sealed class PlatformAccountValidator : AbstractValidator<PlatformAccount>
{
    public PlatformAccountValidator()
    {
        RuleFor(a => a.TenantId).NotEmpty();
        RuleFor(a => a.Account).NotEmpty().MaximumLength(200);
    }
}

internal sealed class ProfileRequestValidator : AbstractValidator<ProfileRequest>
{
    public const string MatchableMessage = "displayName must contain a letter or digit: names are matched by their letters and digits.";

    public ProfileRequestValidator()
    {
        RuleFor(r => r.DisplayName).NotEmpty().MaximumLength(200).Must(n => n is null || n.Trim().Length > 0).WithMessage("displayName must not be blank.")
            .Must(NameKeys.BlankOrMatchable).WithMessage(MatchableMessage);
        RuleFor(r => r.NameVariants!).SetValidator(new NameListValidator("nameVariants")).When(r => r.NameVariants is not null);
        RuleFor(r => r.Handles!).SetValidator(new NameListValidator("handles")).When(r => r.Handles is not null);
        RuleFor(r => r.OwnAccounts).Must(a => a is null || a.Count <= 50).WithMessage("At most 50 ownAccounts.");
        RuleForEach(r => r.OwnAccounts).SetValidator(new PlatformAccountValidator());
    }
}

internal sealed class ConsentRequestValidator : AbstractValidator<ConsentRequest>
{
    public ConsentRequestValidator(TimeProvider clock)
    {
        RuleFor(r => r.Mode).NotEmpty().Must(m => LikenessConsentModes.All.Contains(m)).WithMessage($"mode must be one of: {string.Join(", ", LikenessConsentModes.All)}.");
        RuleFor(r => r.AllowedAccounts).NotEmpty().When(r => r.Mode == LikenessConsentModes.Allowlist).WithMessage("allowlist consent needs allowedAccounts.");
        RuleFor(r => r.AllowedAccounts).Must(a => a is null || a.Count == 0).When(r => r.Mode != LikenessConsentModes.Allowlist).WithMessage("allowedAccounts applies only to allowlist consent.");
        RuleFor(r => r.AllowedAccounts).Must(a => a is null || a.Count <= 1000).WithMessage("At most 1000 allowedAccounts.");
        RuleForEach(r => r.AllowedAccounts).SetValidator(new PlatformAccountValidator());
        RuleFor(r => r.AllowedTenants).NotEmpty().When(r => r.Mode == LikenessConsentModes.Tenant).WithMessage("tenant consent needs allowedTenants.");
        RuleFor(r => r.AllowedTenants).Must(a => a is null || a.Count == 0).When(r => r.Mode != LikenessConsentModes.Tenant).WithMessage("allowedTenants applies only to tenant consent.");
        RuleForEach(r => r.AllowedTenants).NotEmpty();
        RuleFor(r => r.ExpiresAt).Must(e => e is null || e > clock.GetUtcNow()).WithMessage("expiresAt must be in the future.");
    }
}

internal sealed class RevokeConsentRequestValidator : AbstractValidator<RevokeConsentRequest>
{
    public RevokeConsentRequestValidator() => RuleFor(r => r.Reason).MaximumLength(1000);
}

internal sealed class CreateProfileRequestValidator : AbstractValidator<CreateProfileRequest>
{
    public CreateProfileRequestValidator() => RuleFor(r => r.DisplayName).NotEmpty().MaximumLength(200)
        .Must(NameKeys.BlankOrMatchable).WithMessage(ProfileRequestValidator.MatchableMessage);
}

internal sealed class PublicFigureRequestValidator : AbstractValidator<PublicFigureRequest>
{
    public PublicFigureRequestValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(200).Must(n => n is null || n.Trim().Length > 0).WithMessage("name must not be blank.")
            .Must(NameKeys.BlankOrMatchable).WithMessage("name must contain a letter or digit: names are matched by their letters and digits.");
        RuleFor(r => r.Aliases!).SetValidator(new NameListValidator("aliases")).When(r => r.Aliases is not null);
    }
}
