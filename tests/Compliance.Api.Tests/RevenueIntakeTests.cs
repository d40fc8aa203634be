using System.Net;
using System.Net.Http.Json;
using System.Text;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using static Compliance.Api.Tests.Infrastructure.SettlementData;

namespace Compliance.Api.Tests;

/// <summary>POST /v1/revenue: idempotent per line, all or nothing per batch, and every bad input a 4xx problem.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RevenueIntakeTests(PostgresFixture postgres) : PostgresTests
{
    private static readonly DateTimeOffset Created = DateTimeOffset.UtcNow.AddDays(-10);

    private async Task<(World World, Guid Generation, UsageSeed Usage)> ReleasedAsync()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Revenue Raccoon");
        var grant = await world.GrantAsync(character, new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 2500 });
        var usage = new UsageSeed(character, world.RightsHolderId, grant, 2500, 3.0);
        return (world, await GenerationAsync(app.Database, world.TenantId, Created, [usage]), usage);
    }

    [Fact]
    public async Task ARepeatedLineIsANoOpAndAReusedIdWithAnotherAmountIsAConflict()
    {
        var (world, generation, _) = await ReleasedAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);

        var first = await PostOkAsync(world.Platform, Line("L-1", generation, 1000, at), Line("L-2", generation, 500, at));
        Assert.Equal(2, first["accepted"]!.GetValue<int>());
        var again = await PostOkAsync(world.Platform, Line("L-1", generation, 1000, at), Line("L-3", generation, 1, at));
        Assert.Equal(1, again["accepted"]!.GetValue<int>());
        Assert.Equal(1, again["duplicates"]!.GetValue<int>());
        Assert.Equal("duplicate", again["lines"]![0]!["status"]!.GetValue<string>());

        var conflict = await PostAsync(world.Platform, Line("L-1", generation, 1001, at), Line("L-4", generation, 1, at));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType!.MediaType);
        Assert.Equal(3, await CountAsync(world.App.Database, "select count(*) from revenue_lines where generation_id = $1", generation));
    }

    public static TheoryData<string> BadBatches() =>
    [
        "unknown generation", "not released", "currency differs from earlier lines", "two currencies in one batch", "negative revenue",
        "adjustment without adjusts", "unknown currency", "lower-case currency", "too many lines", "no lines", "duplicate line id in batch",
        "adjusts an unknown line", "adjustment below zero", "occurred in the future", "occurred before the generation", "line id too long",
        "zero adjustment", "amount beyond the limit",
    ];

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task EveryBadBatchIsAProblemAndNothingOfItIsStored(string bad)
    {
        var (world, generation, _) = await ReleasedAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        await PostOkAsync(world.Platform, Line("first", generation, 1000, at));
        var blocked = await GenerationAsync(world.App.Database, world.TenantId, Created, [], state: "blocked");
        var good = Line("good", generation, 10, at);
        object[] batch = bad switch
        {
            "unknown generation" => [good, Line("x", Guid.NewGuid(), 10, at)],
            "not released" => [good, Line("x", blocked, 10, at)],
            "currency differs from earlier lines" => [Line("x", generation, 10, at, "EUR")],
            "two currencies in one batch" => [good, Line("x", generation, 10, at, "EUR")],
            "negative revenue" => [good, Line("x", generation, -10, at)],
            "adjustment without adjusts" => [good, new { lineId = "x", generationId = generation, amountMinor = -1, currency = "USD", type = "adjustment", occurredAt = at }],
            "unknown currency" => [good, Line("x", generation, 10, at, "XYZ")],
            "lower-case currency" => [good, Line("x", generation, 10, at, "usd")],
            "too many lines" => [.. Enumerable.Range(0, 1001).Select(i => Line($"many-{i}", generation, 1, at))],
            "no lines" => [],
            "duplicate line id in batch" => [good, Line("good", generation, 10, at)],
            "adjusts an unknown line" => [good, Adjustment("x", generation, "nope", -1, at)],
            "adjustment below zero" => [good, Adjustment("x", generation, "first", -1001, at)],
            "occurred in the future" => [good, Line("x", generation, 10, DateTimeOffset.UtcNow.AddHours(1))],
            "occurred before the generation" => [good, Line("x", generation, 10, Created.AddDays(-1))],
            "line id too long" => [good, Line(new string('x', 129), generation, 10, at)],
            "zero adjustment" => [good, Adjustment("x", generation, "first", 0, at)],
            "amount beyond the limit" => [good, Line("x", generation, 1_000_000_000_000_001, at)],
            _ => throw new ArgumentOutOfRangeException(nameof(bad)),
        };

        var response = await PostAsync(world.Platform, batch);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(1, await CountAsync(world.App.Database, "select count(*) from revenue_lines where generation_id = $1", generation));
    }

    [Fact]
    public async Task MalformedBodiesAreProblemsNotServerErrors()
    {
        var (world, generation, _) = await ReleasedAsync();
        foreach (var body in new[] { "{", "", "{\"lines\": [{\"lineId\": \"a\", \"generationId\": \"" + generation + "\", \"amountMinor\": 1.5, \"currency\": \"USD\", \"type\": \"revenue\", \"occurredAt\": \"2026-01-01T00:00:00Z\"}]}", "{\"lines\": [null]}", "[]" })
        {
            var response = await world.Platform.PostAsync("/v1/revenue", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        }
    }

    [Fact]
    public async Task APlatformCannotReportRevenueForAnotherTenantsGeneration()
    {
        var (world, generation, _) = await ReleasedAsync();

        var response = await PostAsync(world.OtherPlatform, Line("theirs", generation, 1000, DateTimeOffset.UtcNow.AddMinutes(-1)));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, await CountAsync(world.App.Database, "select count(*) from revenue_lines where generation_id = $1", generation));
    }

    [Fact]
    public async Task OnlyPlatformsReportRevenue()
    {
        var (world, generation, _) = await ReleasedAsync();
        var line = Line("r", generation, 1, DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal(HttpStatusCode.Forbidden, (await world.RightsHolder.PostAsJsonAsync("/v1/revenue", new { lines = new[] { line } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Admin.PostAsJsonAsync("/v1/revenue", new { lines = new[] { line } })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await world.App.ClientWithKey(null).PostAsJsonAsync("/v1/revenue", new { lines = new[] { line } })).StatusCode);
    }

    [Fact]
    public async Task AdjustmentsAreCorrectionsOrReversalsOfTheirLine()
    {
        var (world, generation, _) = await ReleasedAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        await PostOkAsync(world.Platform, Line("sale", generation, 1000, at));

        var correction = await PostOkAsync(world.Platform, Adjustment("fix", generation, "sale", -400, at));
        var reversal = await PostOkAsync(world.Platform, Adjustment("undo", generation, "sale", -600, at));

        Assert.Equal("correction", correction["lines"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal("reversal", reversal["lines"]![0]!["kind"]!.GetValue<string>());
        var platformOnly = await world.App.CreateKeyAsync(Roles.Platform, world.TenantId);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PostAsync(world.App.ClientWithKey(platformOnly), Adjustment("more", generation, "sale", -1, at))).StatusCode);
    }
}
