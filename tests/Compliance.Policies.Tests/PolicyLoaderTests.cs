using Compliance.Policies.Engine;

namespace Compliance.Policies.Tests;

public sealed class PolicyLoaderTests
{
    private const string ValidRule = """
        policy: test
        rules:
          - id: block-all
            when: { signal: licensed_character }
            outcome: block
            reason: blocked
        """;

    private static PolicyLoadResult Load(string content, string name = "bad.policy.yaml") =>
        PolicyLoader.Load([new PolicySource(name, content)]);

    private static void AssertError(PolicyLoadResult result, int line, string fragment)
    {
        Assert.False(result.Succeeded);
        Assert.True(
            result.Errors.Any(e => e.File == "bad.policy.yaml" && e.Line == line && e.Message.Contains(fragment, StringComparison.Ordinal)),
            $"expected line {line} \"{fragment}\" in: {string.Join(" | ", result.Errors)}");
    }

    [Fact]
    public void ValidFileLoads() => Assert.True(Load(ValidRule).Succeeded);

    [Fact]
    public void UnknownOutcomeNamesFileAndLine()
    {
        var result = Load("""
            policy: test
            rules:
              - id: r1
                when: { signal: licensed_character }
                outcome: maybe
                reason: x
            """);
        AssertError(result, 5, "outcome 'maybe'");
        Assert.Equal("bad.policy.yaml:5: outcome 'maybe' must be allow, review or block.", result.Errors[0].ToString());
    }

    [Fact]
    public void UnknownGrantStateNamesLine() =>
        AssertError(Load("""
            policy: test
            rules:
              - id: r1
                when:
                  signal: licensed_character
                  grant: [allowed, sorta]
                outcome: block
                reason: x
            """), 6, "unknown grant state 'sorta'");

    [Fact]
    public void MisspelledKeyIsRejectedNotIgnored() =>
        AssertError(Load("""
            policy: test
            rules:
              - id: r1
                when: { signal: licensed_character, scor_below: 0.5 }
                outcome: block
                reason: x
            """), 4, "unknown key 'scor_below'");

    [Fact]
    public void BrokenYamlNamesLine() =>
        AssertError(Load("policy: test\ndescription: a\nrules: x: y\n"), 3, "not valid YAML");

    [Fact]
    public void UnclosedFlowMappingIsALoadErrorNotACrash() =>
        AssertError(Load("policy: test\nrules:\n  - id: r1\n    when: { signal: x\n    outcome: block\n"), 4, "not valid YAML");

    [Fact]
    public void AllowOnClassifierErrorIsRejected() =>
        AssertError(Load("""
            policy: test
            rules:
              - id: r1
                when: { signal: classifier_error }
                outcome: allow
                reason: x
            """), 4, "fail closed");

    [Fact]
    public void AllowOnIncompleteVideoCoverageIsRejected() =>
        AssertError(Load("""
            policy: test
            rules:
              - id: r1
                when: { signal: [licensed_character, coverage_incomplete], score_below: 0.05 }
                outcome: allow
                reason: x
            """), 4, "'coverage_incomplete' (fail closed)");

    [Fact]
    public void AllowWithoutSignalKindIsRejected() =>
        AssertError(Load("""
            policy: test
            rules:
              - id: r1
                when: { grant: allowed }
                outcome: allow
                reason: x
            """), 4, "must name its signal kinds");

    [Fact]
    public void UnmatchedSignalDefaultCannotAllow() =>
        AssertError(Load("""
            policy: test
            defaults:
              unmatched_signal: { outcome: allow, reason: oops }
            rules: []
            """), 3, "may not be allow");

    [Fact]
    public void ObligationsOnBlockRuleAreRejected() =>
        AssertError(Load("""
            policy: test
            rules:
              - id: r1
                when: { signal: licensed_character }
                outcome: block
                reason: x
                obligations: [record_usage]
            """), 7, "only apply to rules whose outcome is allow");

    [Fact]
    public void ScoreOutOfRangeIsRejected() =>
        AssertError(Load("""
            policy: test
            rules:
              - id: r1
                when: { signal: licensed_character, score_below: 7 }
                outcome: review
                reason: x
            """), 4, "between 0 and 1");

    [Fact]
    public void DuplicateRuleIdsAcrossFilesAreRejected()
    {
        var result = PolicyLoader.Load([new PolicySource("a.policy.yaml", ValidRule), new PolicySource("bad.policy.yaml", ValidRule.Replace("policy: test", "policy: other", StringComparison.Ordinal))]);
        AssertError(result, 3, "already used at a.policy.yaml:3");
    }

    [Fact]
    public void EveryErrorIsReportedAtOnce()
    {
        var result = Load("""
            policy: test
            rules:
              - id: r1
                when: { signal: licensed_character }
                outcome: maybe
                reason: x
              - id: r2
                when: { signal: licensed_character, grant: nope }
                outcome: block
            """);
        Assert.True(result.Errors.Count >= 3, string.Join("\n", result.Errors));
    }

    [Fact]
    public void VersionIsContentHashAndChangesWithContent()
    {
        var a = Load(ValidRule).Set!;
        var again = Load(ValidRule).Set!;
        var changed = Load(ValidRule.Replace("reason: blocked", "reason: blocked!", StringComparison.Ordinal)).Set!;
        Assert.Equal(a.Version, again.Version);
        Assert.NotEqual(a.Version, changed.Version);
    }

    [Fact]
    public void EmptyDirectoryIsAnError()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            Assert.False(PolicyLoader.LoadDirectory(dir.FullName).Succeeded);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
