using Compliance.Api.Names;
using FluentValidation;

namespace Compliance.Api.Catalog;

internal sealed record CharacterRequest(string? CanonicalName, IReadOnlyList<string>? Aliases, string? Franchise, string? Description);

internal sealed record Character
{
    public Guid Id { get; init; }
    public Guid RightsHolderId { get; init; }
    public string CanonicalName { get; init; } = "";
    public string[] Aliases { get; init; } = [];
    public string? Franchise { get; init; }
    public string? Description { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

internal sealed class CharacterRequestValidator : AbstractValidator<CharacterRequest>
{
    public const int MaxAliases = 50;

    public CharacterRequestValidator()
    {
        RuleFor(r => r.CanonicalName).NotEmpty().MaximumLength(200)
            .Must(n => n is null || n.Trim().Length > 0).WithMessage("Canonical name must not be blank.")
            .Must(NameKeys.BlankOrMatchable).WithMessage("Canonical name must contain a letter or digit: names are matched by their letters and digits.");
        RuleFor(r => r.Aliases).Must(a => a is null || a.Count <= MaxAliases).WithMessage($"At most {MaxAliases} aliases.");
        RuleForEach(r => r.Aliases)
            .Must(a => !string.IsNullOrWhiteSpace(a)).WithMessage("Aliases must not be empty or blank.")
            .MaximumLength(200)
            .Must(NameKeys.BlankOrMatchable).WithMessage("Aliases must contain a letter or digit: names are matched by their letters and digits.");
        RuleFor(r => r.Aliases)
            .Must(HaveNoDuplicates).WithMessage("Aliases must be distinct from each other and from the canonical name (ignoring case).")
            .When(r => r.Aliases is not null);
        RuleFor(r => r.Franchise).MaximumLength(200);
        RuleFor(r => r.Description).MaximumLength(2000);
    }

    private static bool HaveNoDuplicates(CharacterRequest request, IReadOnlyList<string>? aliases)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (request.CanonicalName is { } name)
        {
            seen.Add(name.Trim());
        }

        return aliases!.Where(a => !string.IsNullOrWhiteSpace(a)).All(a => seen.Add(a.Trim()));
    }
}
