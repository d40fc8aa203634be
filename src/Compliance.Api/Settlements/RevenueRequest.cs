using Compliance.Settlements;
using FluentValidation;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Settlements;

/// <summary>A batch of revenue lines from a platform: all stored, or none.</summary>
internal sealed record RevenueBatchRequest(IReadOnlyList<RevenueLineRequest?>? Lines);

/// <summary>
/// One revenue line. <paramref name="AmountMinor"/> is in the currency's minor units (cents for USD, yen for JPY);
/// an adjustment names the earlier line it changes in <paramref name="Adjusts"/> and may be negative.
/// </summary>
internal sealed record RevenueLineRequest(string? LineId, Guid? GenerationId, long? AmountMinor, string? Currency, string? Type, string? Adjusts, DateTimeOffset? OccurredAt);

internal sealed class RevenueBatchRequestValidator : AbstractValidator<RevenueBatchRequest>
{
    public const int MaxLineIdLength = 128;

    public RevenueBatchRequestValidator(IOptions<SettlementOptions> options)
    {
        var max = options.Value.MaxBatchLines;
        RuleFor(r => r.Lines).NotNull().WithMessage("lines is required.")
            .Must(l => l!.Count is >= 1).WithMessage("A batch has at least one line.")
            .Must(l => l!.Count <= max).WithMessage($"A batch has at most {max} lines; split it.")
            .When(r => r.Lines is not null, ApplyConditionTo.CurrentValidator);
        RuleFor(r => r.Lines)
            .Must(l => l!.Where(x => x is not null).GroupBy(x => (x!.GenerationId, x.LineId)).All(g => g.Count() == 1))
            .WithMessage("A line id appears twice for one generation in this batch.")
            .When(r => r.Lines is not null && r.Lines.Count <= max);
        RuleForEach(r => r.Lines).NotNull().WithMessage("A line cannot be null.").SetValidator(new RevenueLineValidator()!)
            .When(r => r.Lines is not null && r.Lines.Count <= max);
    }
}

internal sealed class RevenueLineValidator : AbstractValidator<RevenueLineRequest>
{
    public RevenueLineValidator()
    {
        RuleFor(l => l.LineId).NotEmpty().MaximumLength(RevenueBatchRequestValidator.MaxLineIdLength)
            .Must(id => id is null || id.All(c => !char.IsControl(c))).WithMessage("lineId cannot contain control characters.");
        RuleFor(l => l.GenerationId).NotNull().NotEqual(Guid.Empty);
        RuleFor(l => l.AmountMinor).NotNull()
            .InclusiveBetween(-Allocation.MaxAmountMinor, Allocation.MaxAmountMinor).WithMessage($"amountMinor is at most {Allocation.MaxAmountMinor} in magnitude.");
        RuleFor(l => l.Currency).NotEmpty().Must(Currencies.IsKnown)
            .WithMessage(l => $"currency '{l.Currency}' is not an accepted ISO 4217 code (upper case): one of {string.Join(", ", Currencies.Codes)}.");
        RuleFor(l => l.Type).NotEmpty().Must(t => t is RevenueLineTypes.Revenue or RevenueLineTypes.Adjustment)
            .WithMessage("type must be 'revenue' or 'adjustment'.");
        RuleFor(l => l.OccurredAt).NotNull();
        When(l => l.Type == RevenueLineTypes.Revenue, () =>
        {
            RuleFor(l => l.AmountMinor).GreaterThanOrEqualTo(0).WithMessage("A revenue line cannot be negative; report a decrease as an adjustment.");
            RuleFor(l => l.Adjusts).Null().WithMessage("Only an adjustment names the line it adjusts.");
        });
        When(l => l.Type == RevenueLineTypes.Adjustment, () =>
        {
            RuleFor(l => l.Adjusts).NotEmpty().WithMessage("An adjustment names the lineId it adjusts.")
                .NotEqual(l => l.LineId).WithMessage("An adjustment cannot adjust itself.");
            RuleFor(l => l.AmountMinor).NotEqual(0).WithMessage("An adjustment of zero changes nothing.");
        });
    }
}
