namespace Compliance.Api.Reviews;

/// <summary>The review workflow's settings (section <c>Reviews</c>).</summary>
internal sealed class ReviewOptions
{
    public const string Section = "Reviews";

    /// <summary>
    /// How long a claim holds an item for one reviewer. After it lapses anyone may claim the item (the take-over is
    /// logged as <c>claim_expired</c>), and the lapsed claimant can no longer resolve it without claiming again.
    /// </summary>
    public TimeSpan ClaimDuration { get; set; } = TimeSpan.FromMinutes(30);
}
