using Compliance.Policies.Engine;
using Compliance.Policies.Model;

namespace Compliance.Policies.Tests;

public sealed class PolicyEngineTests
{
    private static readonly PolicySet Policies = PolicyLoader.LoadDirectory(RepositoryPaths.Policies).Set!;
    private static readonly EntityRef Comet = new("character", Guid.NewGuid(), "Captain Comet", Guid.NewGuid());

    private static Signal CharacterSignal(double score = 1.0) =>
        new("names-text", "v1", SignalKinds.LicensedCharacter, Comet, score, new Evidence("Captain Comet", 5, 13));

    [Fact]
    public void DecisionNamesRulePolicyVersionSignalAndFact()
    {
        var fact = new GrantFact(Comet, GrantState.Denied, Guid.NewGuid());
        var decision = PolicyEngine.Evaluate(Policies, new PolicyInput("prompt", [CharacterSignal()], [fact]));

        Assert.Equal(Outcome.Block, decision.Outcome);
        Assert.Equal(Policies.Version, decision.PolicyVersion);
        var reason = Assert.Single(decision.Reasons);
        Assert.Equal("denied-character-blocks", reason.Rule);
        Assert.Equal("licensed-characters", reason.Policy);
        Assert.Same(fact, reason.Fact);
        Assert.Contains("Captain Comet", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFactIsNeverPermission()
    {
        var decision = PolicyEngine.Evaluate(Policies, new PolicyInput("prompt", [CharacterSignal()], []));
        Assert.Equal(Outcome.Block, decision.Outcome);
    }

    [Fact]
    public void SameInputGivesSameDecision()
    {
        var input = new PolicyInput("prompt", [CharacterSignal(0.7)], [new GrantFact(Comet, GrantState.None)]);
        var a = PolicyEngine.Evaluate(Policies, input);
        var b = PolicyEngine.Evaluate(Policies, input);
        Assert.Equal(a.Outcome, b.Outcome);
        Assert.Equal(a.Reasons, b.Reasons);
    }

    [Fact]
    public void RevenueShareObligationCarriesBasisPoints()
    {
        var fact = new GrantFact(Comet, GrantState.AllowedWithRevenueShare, Guid.NewGuid(), 1250, AttributionRequired: true);
        var decision = PolicyEngine.Evaluate(Policies, new PolicyInput("prompt", [CharacterSignal()], [fact]));
        Assert.Equal(Outcome.Allow, decision.Outcome);
        var usage = Assert.Single(decision.Obligations, o => o.Type == ObligationTypes.RecordUsage);
        Assert.Equal(1250, usage.RevenueShareBasisPoints);
        Assert.Contains(decision.Obligations, o => o.Type == ObligationTypes.Attribution);
    }

    [Fact]
    public void AReviewDecisionDefersItsAllowingReasonsObligationsToARelease()
    {
        var fact = new GrantFact(Comet, GrantState.AllowedWithRevenueShare, Guid.NewGuid(), 1250);
        var unscreened = new Signal("frame-coverage", "v1", SignalKinds.CoverageIncomplete, null, 0.2, new Evidence(Detail: "2.0-2.5 s: decoder_error"));

        var held = PolicyEngine.Evaluate(Policies, new PolicyInput("video", [CharacterSignal(), unscreened], [fact]));
        var allowed = PolicyEngine.Evaluate(Policies, new PolicyInput("video", [CharacterSignal()], [fact]));

        Assert.Equal(Outcome.Review, held.Outcome);
        Assert.Empty(held.Obligations);  // nothing binds while the output is held
        Assert.Equal(1250, Assert.Single(held.ObligationsIfReleased, o => o.Type == ObligationTypes.RecordUsage).RevenueShareBasisPoints);
        Assert.Equal(Outcome.Allow, allowed.Outcome);
        Assert.Empty(allowed.ObligationsIfReleased);  // an allowed decision's obligations bind as they are
    }

    [Theory]
    [InlineData(0.85 - 0.05)] // 0.7999999999999999 in binary floating point
    [InlineData(0.8)]
    [InlineData(0.80004)]
    public void AScoreOnTheBandEdgeIsNotBelowIt(double score)
    {
        var decision = PolicyEngine.Evaluate(Policies, new PolicyInput("prompt", [CharacterSignal(score)], []));
        Assert.Equal("unlicensed-character-blocks", Assert.Single(decision.Reasons).Rule);
    }

    [Theory]
    [InlineData(0.79994)]
    [InlineData(0.7999)]
    public void AScoreABasisPointBelowTheEdgeIsBelowIt(double score)
    {
        var decision = PolicyEngine.Evaluate(Policies, new PolicyInput("prompt", [CharacterSignal(score)], []));
        Assert.Equal("low-confidence-character-review", Assert.Single(decision.Reasons).Rule);
    }

    [Fact]
    public void AThresholdWithMoreThanFourDecimalsIsRefused()
    {
        var result = PolicyLoader.Load([new PolicySource("edge.policy.yaml", """
            policy: edge
            rules:
              - id: too-fine
                when: { signal: licensed_character, score_below: 0.80001 }
                outcome: review
                reason: r
            """)]);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Message.Contains("four decimals", StringComparison.Ordinal));
    }
}
