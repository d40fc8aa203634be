using Compliance.Api.Grants;
using Compliance.Api.Infrastructure;
using FluentValidation;

namespace Compliance.Api.Screening;

/// <summary>A prompt to screen before generation.</summary>
/// <param name="Prompt">The text prompt, at most <see cref="ScreenPromptRequestValidator.MaxPromptLength"/> characters; any UTF-16 is screened (it is kept only as escaped JSON in the decision).</param>
/// <param name="Account">The platform's end-user account making the request (recorded; used by likeness consent).</param>
/// <param name="Contexts">The platform's own content rating of this request, from a fixed vocabulary; grants may exclude contexts.</param>
internal sealed record ScreenPromptRequest([property: NotStored] string? Prompt, string? Account, IReadOnlyList<string>? Contexts);

internal sealed class ScreenPromptRequestValidator : AbstractValidator<ScreenPromptRequest>
{
    /// <summary>Documented in docs/api.md. Longer prompts are rejected, not truncated: a name past the cut would go unseen.</summary>
    public const int MaxPromptLength = 10_000;

    public ScreenPromptRequestValidator()
    {
        RuleFor(r => r.Prompt).NotEmpty().WithMessage("prompt is required.")
            .Must(p => p is null || !string.IsNullOrWhiteSpace(p)).WithMessage("prompt must not be blank.")
            .MaximumLength(MaxPromptLength).WithMessage($"prompt must be at most {MaxPromptLength} characters.");
        RuleFor(r => r.Account).MaximumLength(200);
        RuleFor(r => r.Contexts).Must(c => c is null || c.Count <= ContentContexts.All.Length);
        RuleForEach(r => r.Contexts).Must(c => ContentContexts.All.Contains(c))
            .WithMessage($"Unknown context; known: {string.Join(", ", ContentContexts.All)}.");
    }
}
