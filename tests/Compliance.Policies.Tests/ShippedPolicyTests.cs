using Compliance.Policies.Engine;

namespace Compliance.Policies.Tests;

public sealed class ShippedPolicyTests
{
    private static readonly PolicySet Shipped = LoadShipped();

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in PolicyCases.LoadDirectory(RepositoryPaths.Policies))
        {
            data.Add(c.ToString());
        }

        return data;
    }

    [Fact]
    public void ShippedPoliciesLoadWithoutErrors()
    {
        var result = PolicyLoader.LoadDirectory(RepositoryPaths.Policies);
        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
        Assert.StartsWith("sha256:", result.Set!.Version, StringComparison.Ordinal);
    }

    [Fact]
    public void ThereAreCasesToRun() => Assert.True(PolicyCases.LoadDirectory(RepositoryPaths.Policies).Count >= 10);

    [Theory]
    [MemberData(nameof(Cases))]
    public void PolicyCaseDecidesAsExpected(string caseName)
    {
        var testCase = PolicyCases.LoadDirectory(RepositoryPaths.Policies).Single(c => c.ToString() == caseName);
        Assert.Null(PolicyCases.Run(Shipped, testCase));
    }

    private static PolicySet LoadShipped()
    {
        var result = PolicyLoader.LoadDirectory(RepositoryPaths.Policies);
        return result.Set ?? throw new InvalidOperationException(string.Join(Environment.NewLine, result.Errors));
    }
}
