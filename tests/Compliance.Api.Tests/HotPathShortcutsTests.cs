using System.Text.Json;
using Compliance.Api.Access;
using Compliance.Generation.Gates;
using Compliance.Policies.Model;
using FluentValidation;

namespace Compliance.Api.Tests;

/// <summary>
/// The screened prompt's shortcuts (ADR-044) give exactly what the longer forms they replaced gave: the key's shape
/// checked without splitting it, and the outcome's name without converting it.
/// </summary>
public sealed class HotPathShortcutsTests
{
    public static TheoryData<string> Keys() =>
    [
        "cmp_0123456789ab_" + new string('x', 43),
        "cmp_0123456789ab_" + new string('x', 20),
        "cmp_0123456789ab_" + new string('x', 19),
        "cmp_0123456789ab_" + new string('x', 100),
        "cmp_0123456789ab_" + new string('x', 101),
        "cmp_0123456789ab_" + new string('x', 30) + "_" + new string('x', 10),
        "cmp_0123456789a_" + new string('x', 43),
        "cmp_0123456789abc_" + new string('x', 43),
        "cmp_01234_6789ab_" + new string('x', 43),
        "cmp__0123456789a_" + new string('x', 43),
        "CMP_0123456789ab_" + new string('x', 43),
        "xcmp_0123456789ab_" + new string('x', 43),
        "cmp_0123456789ab" + new string('x', 43),
        "cmp_0123456789ab_",
        "cmp_0123456789ab_" + new string('x', 42) + "_",
        "cmp_",
        "cmp",
        "",
        "_",
        "cmp_0123456789ab_" + new string('é', 43),
    ];

    [Theory]
    [MemberData(nameof(Keys))]
    public void KeyShapeIsJudgedAsSplittingItWouldJudgeIt(string presented)
    {
        var bySplit = presented.Split('_') is ["cmp", { Length: 12 }, { Length: >= 20 and <= 100 }];
        Assert.Equal(bySplit, ApiKeyStore.IsWellFormed(presented));
    }

    [Fact]
    public void EveryOutcomeIsNamedAsTheSnakeCasePolicyNamesIt()
    {
        foreach (var outcome in Enum.GetValues<Outcome>())
        {
            Assert.Equal(JsonNamingPolicy.SnakeCaseLower.ConvertName(outcome.ToString()), JsonNames.Outcome(outcome));
        }
    }
}

/// <summary>The validation filter runs validators synchronously (ADR-044); one with an asynchronous rule still works, by its asynchronous run.</summary>
public sealed class ValidationFilterTests
{
    internal sealed record Named(string? Name);

    private sealed class AsyncRuleValidator : AbstractValidator<Named>
    {
        public AsyncRuleValidator()
        {
            RuleFor(n => n.Name).NotEmpty();
            RuleFor(n => n.Name).MustAsync(async (name, ct) =>
            {
                await Task.Yield();
                return name != "taken";
            }).WithMessage("name is taken.");
        }
    }

    [Theory]
    [InlineData("free", true)]
    [InlineData("taken", false)]
    [InlineData("", false)]
    public async Task ValidatorWithAnAsynchronousRuleStillJudgesEveryRequest(string name, bool passes)
    {
        var filter = new Compliance.Api.Infrastructure.ValidationFilter<Named>(new AsyncRuleValidator());
        for (var i = 0; i < 2; i++)
        {
            // Twice: the first run learns that the validator is asynchronous, the second starts from that.
            var context = Microsoft.AspNetCore.Http.EndpointFilterInvocationContext.Create(new Microsoft.AspNetCore.Http.DefaultHttpContext(), new Named(name));
            var result = await filter.InvokeAsync(context, _ => ValueTask.FromResult<object?>("passed"));
            if (passes)
            {
                Assert.Equal("passed", result);
            }
            else
            {
                var problem = Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.ValidationProblem>(result);
                Assert.Contains("Name", problem.ProblemDetails.Errors.Keys);
            }
        }
    }
}
