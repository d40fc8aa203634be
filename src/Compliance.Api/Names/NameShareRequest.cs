using FluentValidation;

namespace Compliance.Api.Names;

/// <summary>An owner of a name: <c>likeness_profile</c> (a person), <c>rights_holder</c>, or <c>public_figure</c> (one not linked to a profile).</summary>
internal sealed record NameOwner(string? Kind, Guid Id);

/// <summary>An admin's approval for several owners to hold one name (as the matcher reads it).</summary>
internal sealed record NameShareRequest(string? Name, IReadOnlyList<NameOwner>? Owners, string? Reason);

internal sealed record NameShare
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string MatchingKey { get; init; } = "";
    public IReadOnlyList<NameOwner> Owners { get; init; } = [];
    public string Reason { get; init; } = "";
    public Guid ApprovedBy { get; init; }
    public DateTimeOffset ApprovedAt { get; init; }
}

/// <summary>Who holds a name and which entities use it, for an admin deciding on a share.</summary>
internal sealed record NameOwnership(string Name, string MatchingKey, NameOwner? Holder, Guid? ShareId, IReadOnlyList<NameUse> Claims, IReadOnlyList<NameUse> Flags);

/// <summary>One entity's use of a name: a claim, or a flag (a pre-existing duplicate that is not matched).</summary>
internal sealed record NameUse
{
    public string EntityType { get; init; } = "";
    public Guid EntityId { get; init; }
    public string OwnerKind { get; init; } = "";
    public Guid OwnerId { get; init; }
    public string Name { get; init; } = "";
    public string MatchingKey { get; init; } = "";
    public string? Reason { get; init; }
    public DateTimeOffset At { get; init; }
}

internal sealed class NameShareRequestValidator : AbstractValidator<NameShareRequest>
{
    public const int MaxOwners = 20;

    public NameShareRequestValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(200)
            .Must(NameKeys.BlankOrMatchable).WithMessage("name must contain a letter or digit: names are matched by their letters and digits.");
        RuleFor(r => r.Owners).NotNull()
            .Must(o => o is null || (o.Count >= 2 && o.Count <= MaxOwners)).WithMessage($"A share names between 2 and {MaxOwners} owners.")
            .Must(o => o is null || o.Select(x => x.Id).Distinct().Count() == o.Count).WithMessage("Owners must be distinct.");
        RuleForEach(r => r.Owners).ChildRules(owner =>
        {
            owner.RuleFor(o => o.Kind).Must(k => NameOwnerKinds.All.Contains(k)).WithMessage($"kind must be one of: {string.Join(", ", NameOwnerKinds.All)}.");
            owner.RuleFor(o => o.Id).NotEmpty();
        });
        RuleFor(r => r.Reason).NotEmpty().MaximumLength(1000).Must(r => r is null || r.Trim().Length > 0).WithMessage("reason must not be blank.");
    }
}
