using Compliance.Api.Policies;

namespace Compliance.Api.Reviews;

internal static class ReviewExtensions
{
    /// <summary>The review queue, appeals and policy replay, with their settings (<c>Reviews</c>, <c>Replay</c>).</summary>
    public static WebApplicationBuilder AddComplianceReviews(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReviewOptions>().BindConfiguration(ReviewOptions.Section)
            .Validate(o => o.ClaimDuration > TimeSpan.Zero && o.ClaimDuration <= TimeSpan.FromDays(7), "Reviews:ClaimDuration must be positive and at most 7 days.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ReviewLog>();
        builder.Services.AddSingleton<ReviewQueue>();
        builder.Services.AddSingleton<Appeals>();
        builder.Services.AddPolicyReplay();
        return builder;
    }
}
