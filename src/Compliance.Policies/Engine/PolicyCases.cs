using System.Security.Cryptography;
using System.Text;
using Compliance.Policies.Model;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Compliance.Policies.Engine;

/// <summary>
/// Policy test cases (<c>*.cases.yaml</c> beside the policies): signals and facts in, expected
/// outcome, deciding rules and obligations out. They are data, so a policy author can add a case
/// without writing C#, and the test suite runs every one of them.
/// </summary>
public static class PolicyCases
{
    public const string CaseFilePattern = "*.cases.yaml";

    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    public static IReadOnlyList<PolicyCase> LoadDirectory(string directory)
    {
        var cases = new List<PolicyCase>();
        foreach (var path in Directory.GetFiles(directory, CaseFilePattern).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            CaseFile? file;
            try
            {
                file = Deserializer.Deserialize<CaseFile>(File.ReadAllText(path));
            }
            catch (YamlException ex)
            {
                throw new InvalidDataException($"{name}:{ex.Start.Line}: {ex.InnerException?.Message ?? ex.Message}", ex);
            }

            foreach (var c in file?.Cases ?? [])
            {
                cases.Add(c with { File = name });
            }
        }

        return cases;
    }

    /// <summary>Runs one case; returns null when the policy set decides as expected, else what differed.</summary>
    public static string? Run(PolicySet policies, PolicyCase testCase)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        var input = testCase.ToInput();
        var decision = PolicyEngine.Evaluate(policies, input);
        var problems = new List<string>();
        var expect = testCase.Expect ?? new CaseExpectation();
        if (!string.Equals(decision.Outcome.ToString(), expect.Outcome, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"outcome {decision.Outcome.ToString().ToLowerInvariant()}, expected {expect.Outcome}");
        }

        var rules = decision.Reasons.Select(r => r.Rule).ToList();
        if (expect.Rules is not null && !rules.SequenceEqual(expect.Rules))
        {
            problems.Add($"rules [{string.Join(", ", rules)}], expected [{string.Join(", ", expect.Rules)}]");
        }

        var obligations = decision.Obligations.Select(o => o.Type).ToList();
        if (expect.Obligations is not null && !obligations.SequenceEqual(expect.Obligations))
        {
            problems.Add($"obligations [{string.Join(", ", obligations)}], expected [{string.Join(", ", expect.Obligations)}]");
        }

        return problems.Count == 0 ? null : $"{testCase.File}: '{testCase.Name}': {string.Join("; ", problems)}";
    }
}

public sealed record CaseFile
{
    public List<PolicyCase> Cases { get; init; } = [];
}

public sealed record PolicyCase
{
    public string Name { get; init; } = "";
    public string Subject { get; init; } = "prompt";
    public List<CaseSignal> Signals { get; init; } = [];
    public CaseExpectation? Expect { get; init; }

    [YamlIgnore]
    public string File { get; init; } = "";

    public override string ToString() => $"{File}: {Name}";

    internal PolicyInput ToInput()
    {
        var signals = new List<Signal>();
        var facts = new List<GrantFact>();
        foreach (var s in Signals)
        {
            EntityRef? entity = s.Entity is null
                ? null
                : new EntityRef(s.EntityType, StableId(s.Entity), s.Entity, StableId("owner:" + s.Entity));
            signals.Add(new Signal(s.Classifier, "case", s.Kind, entity, s.Score,
                new Evidence(MatchedText: s.Entity, MatchKind: s.MatchKind, Detail: s.Detail, Distance: s.Distance, Similarity: s.Similarity)));
            if (entity is not null && s.Grant is not null)
            {
                if (!GrantStates.TryParse(s.Grant, out var state))
                {
                    throw new InvalidDataException($"{File}: '{Name}': unknown grant '{s.Grant}'.");
                }

                facts.Add(new GrantFact(entity, state, RevenueShareBasisPoints: s.RevenueShareBps, AttributionRequired: s.AttributionRequired));
            }
        }

        return new PolicyInput(Subject, signals, facts);
    }

    private static Guid StableId(string name) => new(MD5.HashData(Encoding.UTF8.GetBytes(name)));
}

public sealed record CaseSignal
{
    public string Kind { get; init; } = "";
    public string? Entity { get; init; }
    public string EntityType { get; init; } = "character";
    public double Score { get; init; } = 1.0;
    public string? Grant { get; init; }
    public int? RevenueShareBps { get; init; }
    public bool AttributionRequired { get; init; }
    public string? Detail { get; init; }
    public string Classifier { get; init; } = "policy-case";
    public int? Distance { get; init; }
    public double? Similarity { get; init; }
    public string? MatchKind { get; init; }
}

public sealed record CaseExpectation
{
    public string Outcome { get; init; } = "allow";
    public List<string>? Rules { get; init; }
    public List<string>? Obligations { get; init; }
}
