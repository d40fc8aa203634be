using Compliance.Api.Names;
using FluentValidation;

namespace Compliance.Api.Catalog;

/// <summary>A character as its rights holder describes it.</summary>
/// <param name="ExamplePrompts">How the character is typically asked for, in prompts that do not name it: embedded with
/// the description, so a prompt that describes the character is found (docs/text-semantics.md).</param>
/// <param name="LocalizedAliases">Names per language (BCP 47 tag: "ru", "ja", "zh-Hant"), matched like aliases.</param>
internal sealed record CharacterRequest(
    string? CanonicalName,
    IReadOnlyList<string>? Aliases,
    string? Franchise,
    string? Description,
    IReadOnlyList<string>? ExamplePrompts = null,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? LocalizedAliases = null);

internal sealed record Character
{
    public Guid Id { get; init; }
    public Guid RightsHolderId { get; init; }
    public string CanonicalName { get; init; } = "";
    public string[] Aliases { get; init; } = [];
    public string? Franchise { get; init; }
    public string? Description { get; init; }
    public string[] ExamplePrompts { get; init; } = [];
    public Dictionary<string, string[]> LocalizedAliases { get; init; } = [];
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
        RuleFor(r => r.ExamplePrompts).Must(p => p is null || p.Count <= MaxExamplePrompts).WithMessage($"At most {MaxExamplePrompts} example prompts.");
        RuleForEach(r => r.ExamplePrompts)
            .Must(p => !string.IsNullOrWhiteSpace(p)).WithMessage("Example prompts must not be empty or blank.")
            .MaximumLength(500);
        RuleFor(r => r.LocalizedAliases)
            .Must(l => l is null || l.Count <= MaxLanguages).WithMessage($"At most {MaxLanguages} languages of localised aliases.")
            .Must(l => l is null || l.Keys.All(IsLanguageTag)).WithMessage("Localised aliases are keyed by a BCP 47 language tag such as \"ru\", \"ja\" or \"pt-BR\".")
            .Must(l => l is null || l.Values.All(v => v is not null && v.Count is > 0 and <= MaxAliases))
            .WithMessage($"Each language has 1 to {MaxAliases} localised aliases.")
            .Must(l => l is null || l.Values.Where(v => v is not null).SelectMany(v => v).All(a => !string.IsNullOrWhiteSpace(a) && a.Length <= 200 && NameKeys.IsMatchable(a)))
            .WithMessage("Localised aliases must be non-blank, at most 200 characters, and contain a letter or digit.");
    }

    public const int MaxExamplePrompts = 20;
    public const int MaxLanguages = 20;

    private static bool IsLanguageTag(string tag) =>
        tag.Length is >= 2 and <= 35 && char.IsAsciiLetter(tag[0]) && tag.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

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
