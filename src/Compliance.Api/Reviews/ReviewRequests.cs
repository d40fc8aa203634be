using FluentValidation;

namespace Compliance.Api.Reviews;

/// <summary>Resolve a claimed item: <c>uphold</c> or <c>overturn</c>, a reason (internal), and optionally a note the platform sees.</summary>
internal sealed record ResolveRequest(string? Resolution, string? Reason, string? PublicNote);

/// <summary>A note on an item: <c>internal</c> (auditors only) or <c>public</c> (the platform sees it).</summary>
internal sealed record NoteRequest(string? Visibility, string? Text);

/// <summary>A platform's appeal of a block: why the block is wrong.</summary>
internal sealed record AppealRequest(string? Statement);

/// <summary>The one-record review API: allow (overturns the review) or block (upholds it), with a reason.</summary>
internal sealed record ReviewRequest(string? Outcome, string? Reason);

internal static class ReviewText
{
    public const int MaxLength = 4000;

    public static IRuleBuilderOptions<T, string?> RequiredText<T>(this IRuleBuilder<T, string?> rule, string name) =>
        rule.NotEmpty().WithMessage($"{name} is required.")
            .Must(t => t is null || t.Trim().Length > 0).WithMessage($"{name} must not be blank.")
            .MaximumLength(MaxLength).WithMessage($"{name} may be at most {MaxLength} characters.");
}

internal sealed class ResolveRequestValidator : AbstractValidator<ResolveRequest>
{
    public ResolveRequestValidator()
    {
        RuleFor(r => r.Resolution).Must(r => ReviewVocabulary.Resolutions.Contains(r)).WithMessage("resolution must be uphold or overturn.");
        RuleFor(r => r.Reason).RequiredText("reason");
        RuleFor(r => r.PublicNote).RequiredText("publicNote").When(r => r.PublicNote is not null);
    }
}

internal sealed class NoteRequestValidator : AbstractValidator<NoteRequest>
{
    public NoteRequestValidator()
    {
        RuleFor(r => r.Visibility).Must(v => ReviewVocabulary.Visibilities.Contains(v)).WithMessage("visibility must be internal or public.");
        RuleFor(r => r.Text).RequiredText("text");
    }
}

internal sealed class AppealRequestValidator : AbstractValidator<AppealRequest>
{
    public AppealRequestValidator() => RuleFor(r => r.Statement).RequiredText("statement");
}

internal sealed class ReviewRequestValidator : AbstractValidator<ReviewRequest>
{
    public ReviewRequestValidator()
    {
        RuleFor(r => r.Outcome).NotEmpty().Must(o => o is "allow" or "block").WithMessage("outcome must be allow or block.");
        RuleFor(r => r.Reason).RequiredText("reason");
    }
}
