using System.Net;
using System.Net.Http.Json;
using System.Text;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

/// <summary>Bad input gets a 4xx problem-details answer: never a 500, a hang, or silent acceptance.</summary>
[Collection(PostgresCollection.Name)]
public sealed class BadInputTests(PostgresFixture postgres) : PostgresTests
{
    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await World.Json(response);
        Assert.Equal((int)expected, body["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(body["title"]?.GetValue<string>()));
    }

    private static StringContent RawJson(string json) => new(json, Encoding.UTF8, "application/json");

    public static TheoryData<string> MalformedBodies => new()
    {
        "{\"prompt\":",
        "not json at all",
        "{\"prompt\": 42}",
        "[]",
        "{\"prompt\": \"x\", \"contexts\": \"violence\"}",
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task MalformedJsonIsA400Problem(string body)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await AssertProblem(await world.Platform.PostAsync("/v1/screen/prompt", RawJson(body)), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t ")]
    [InlineData(null)]
    public async Task EmptyPromptIsRejected(string? prompt)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await AssertProblem(await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt }), HttpStatusCode.BadRequest);
    }

    public static TheoryData<string> StrangeButValidPrompts => new()
    {
        "\ud800 a lone surrogate",
        "emoji 🦊🔥 and RTL שלום and CJK 狐狸",
        string.Concat(Enumerable.Repeat("\u200b", 9_000)),
        string.Concat(Enumerable.Repeat("e\u0301", 4_000)),
        "\u0000 nul and \u001b escape",
        string.Concat(Enumerable.Repeat("a.", 4_999)),
    };

    [Theory]
    [MemberData(nameof(StrangeButValidPrompts))]
    public async Task StrangeUnicodeIsScreenedNotCrashedOn(string prompt)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("allow", (await World.Json(response))["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task EmptyBodyIsRejected()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.Platform.PostAsync("/v1/screen/prompt", RawJson(""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task PromptOverTheLimitIsRejectedNotTruncated()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = new string('a', 10_001) });
        await AssertProblem(response, HttpStatusCode.BadRequest);
        Assert.Contains("10000", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptAtTheLimitIsScreened()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = string.Concat(Enumerable.Repeat("calm sea ", 1111)) + "x" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task BodyOverTheRequestLimitIs413()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var huge = "{\"prompt\":\"" + new string('a', 2 * 1024 * 1024) + "\"}";
        await AssertProblem(await world.Platform.PostAsync("/v1/screen/prompt", RawJson(huge)), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task UnknownContextIsRejected()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await AssertProblem(await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = "x", contexts = new[] { "mayhem" } }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task CharacterWithEmptyOrDuplicateAliasesIsRejected()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await AssertProblem(await world.RightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = "Dup", aliases = new[] { "A", "a" } }), HttpStatusCode.BadRequest);
        await AssertProblem(await world.RightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = "Dup", aliases = new[] { "" } }), HttpStatusCode.BadRequest);
        await AssertProblem(await world.RightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = "Dup", aliases = new[] { "  " } }), HttpStatusCode.BadRequest);
        await AssertProblem(await world.RightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = "Dup", aliases = new[] { "dup" } }), HttpStatusCode.BadRequest);
        await AssertProblem(await world.RightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = "" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DuplicateCharacterNameOrAliasIsAConflict()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (_, name) = await world.CharacterAsync("Twin Star", ["Twinny"]);
        await AssertProblem(await world.RightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = name.ToUpperInvariant() }), HttpStatusCode.Conflict);
        await AssertProblem(await world.RightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = "Another", aliases = new[] { "twinny" } }), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task InvalidGrantTermsAreRejected()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, _) = await world.CharacterAsync("Terms Test");
        object[] bad =
        [
            new { characterId = id, tenantId = world.TenantId, kind = "maybe" },
            new { characterId = id, tenantId = world.TenantId, kind = "allow_with_revenue_share" },
            new { characterId = id, tenantId = world.TenantId, kind = "allow_with_revenue_share", revenueShareBasisPoints = 10_001 },
            new { characterId = id, tenantId = world.TenantId, kind = "allow", revenueShareBasisPoints = 100 },
            new { characterId = id, tenantId = world.TenantId, kind = "allow", validFrom = DateTimeOffset.UtcNow, validUntil = DateTimeOffset.UtcNow.AddDays(-1) },
            new { characterId = id, tenantId = world.TenantId, kind = "allow", disallowedContexts = new[] { "mayhem" } },
            new { tenantId = world.TenantId, kind = "allow" },
        ];
        foreach (var body in bad)
        {
            await AssertProblem(await world.RightsHolder.PostAsJsonAsync("/v1/grants", body), HttpStatusCode.BadRequest);
        }

        await AssertProblem(await world.RightsHolder.PostAsJsonAsync("/v1/grants", new { characterId = id, tenantId = Guid.NewGuid(), kind = "allow" }), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/v1/decisions?limit=abc")]
    [InlineData("/v1/decisions?limit=0")]
    [InlineData("/v1/decisions?limit=100000")]
    [InlineData("/v1/decisions?outcome=maybe")]
    [InlineData("/v1/decisions?from=yesterday")]
    [InlineData("/v1/decisions?cursor=x")]
    public async Task BadDecisionQueriesAre400(string path)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.Auditor.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task UnknownDecisionIs404()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await AssertProblem(await world.Auditor.GetAsync($"/v1/decisions/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
    }
}
