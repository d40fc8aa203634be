using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Settlements;
using CsvHelper;
using Microsoft.Extensions.DependencyInjection;
using static Compliance.Api.Tests.Infrastructure.SettlementData;

namespace Compliance.Api.Tests;

/// <summary>Settling periods through the real host on a real database, with a clock the test moves forward.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SettlementTests(PostgresFixture postgres) : PostgresTests
{
    private sealed record Cast(ComplianceApp App, TestClock Clock, World World, UsageSeed Mine, UsageSeed Mine2, UsageSeed Theirs, Guid Shared, Guid Solo);

    /// <summary>
    /// An app with a movable clock; two characters of the world's holder (20 % and 30 %) and one of the other holder
    /// (50 %). One video shows all three (4 s, 2 s, 2 s on screen), another only the first character.
    /// </summary>
    private async Task<Cast> CastAsync(string name)
    {
        // Noon today: hours either side stay in today's period whenever the test runs.
        var clock = new TestClock();
        clock.Offset = DayStart(DateTimeOffset.UtcNow).AddHours(12) - DateTimeOffset.UtcNow;
        var app = await postgres.CreateAppAsync(name, o => o.Services = s => s.AddSingleton<TimeProvider>(clock));
        var world = await app.NewWorldAsync();
        async Task<UsageSeed> Licensed(string character, int bps, double seconds, bool other = false)
        {
            var (id, _) = await world.CharacterAsync(character, owner: other ? world.OtherRightsHolder : world.RightsHolder);
            var body = new { kind = "allow_with_revenue_share", revenueShareBasisPoints = bps, characterId = id, tenantId = world.TenantId };
            var response = await (other ? world.OtherRightsHolder : world.RightsHolder).PostAsJsonAsync("/v1/grants", body);
            var grant = (await World.Json(response))["id"]!.GetValue<Guid>();
            return new UsageSeed(id, other ? world.OtherRightsHolderId : world.RightsHolderId, grant, bps, seconds);
        }

        var mine = await Licensed("Ledger Lynx", 2000, 4.0);
        var mine2 = await Licensed("Ledger Lark", 3000, 2.0);
        var theirs = await Licensed("Tally Tiger", 5000, 2.0, other: true);
        var created = DateTimeOffset.UtcNow.AddDays(-5);
        var shared = await GenerationAsync(app.Database, world.TenantId, created, [mine, mine2, theirs]);
        var solo = await GenerationAsync(app.Database, world.TenantId, created, [mine with { Seconds = 4.0 }]);
        return new Cast(app, clock, world, mine, mine2, theirs, shared, solo);
    }

    [Fact]
    public async Task SettlingAPeriodPaysEachHolderItsShareOnceAndReconcilesToTheUnit()
    {
        var c = await CastAsync("settle");
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
        await PostOkAsync(c.World.Platform,
            Line("a", c.Shared, 10_000, yesterday), Line("b", c.Shared, 333, yesterday), Line("c", c.Solo, 1_001, yesterday), Line("d", c.Solo, 7, yesterday));

        var run = await RunAsync(c.World.Admin, DayStart(yesterday));

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var runView = await World.Json(run);
        Assert.Equal("succeeded", runView["status"]!.GetValue<string>());
        Assert.Equal(4, runView["lines"]!.GetValue<long>());
        // Line a: 10,000 split 4:2:2 → parts 5,000 / 2,500 / 2,500 → 20 % = 1,000, 30 % = 750, 50 % = 1,250.
        // Line b: 333 → exact 33.3, 24.975, 41.625, platform 233.1 → floors 33, 24, 41, 233 (331); two units to .975 and .625.
        // Lines c and d: 20 % of 1,001 = 200.2 → 200 (the platform's 800.8 takes the unit); of 7 = 1.4 → 1 (the platform's .6 beats .4).
        var mine = await StatementsAsync(c.World.RightsHolder);
        var statement = Assert.Single(mine["items"]!.AsArray())!;
        Assert.Equal(1_000 + 750 + 25 + 33 + 200 + 1, statement["amountMinor"]!.GetValue<long>());
        Assert.Equal("20.09", statement["amount"]!.GetValue<string>());
        var theirs = Assert.Single((await StatementsAsync(c.World.OtherRightsHolder))["items"]!.AsArray())!;
        Assert.Equal(1_250 + 42, theirs["amountMinor"]!.GetValue<long>());

        var reconciliation = await ReconcileAsync(c.World.Admin, DayStart(yesterday), recompute: true);
        var usd = Assert.Single(reconciliation["currencies"]!.AsArray())!;
        Assert.Equal(11_341, usd["revenueMinor"]!.GetValue<long>());
        Assert.Equal(2009 + 1292, usd["allocatedMinor"]!.GetValue<long>());
        Assert.Equal(11_341 - 2009 - 1292, usd["platformRemainderMinor"]!.GetValue<long>());
        Assert.Equal(0, usd["mismatchMinor"]!.GetValue<long>());
        Assert.True(reconciliation["reconciled"]!.GetValue<bool>());
        Assert.Empty(reconciliation["differences"]!.AsArray());
        Assert.Equal(2, reconciliation["holders"]!.AsArray().Count);

        // Once: a second run is refused, and the statement is unchanged.
        Assert.Equal(HttpStatusCode.Conflict, (await RunAsync(c.World.Admin, DayStart(yesterday))).StatusCode);
        Assert.Equal(2, await CountAsync(c.App.Database, "select count(*) from settlement_statements"));
        await c.App.DisposeAsync();
    }

    [Fact]
    public async Task StatementLinesAddUpToTheStatementAndTheCsvRoundTrips()
    {
        var c = await CastAsync("csvexport");
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
        var random = new Random(11);
        var lines = Enumerable.Range(0, 250).Select(i => Line($"line,\"{i}\"", i % 3 == 0 ? c.Solo : c.Shared, random.NextInt64(0, 100_000), yesterday)).ToArray();
        await PostOkAsync(c.World.Platform, lines);
        Assert.Equal(HttpStatusCode.OK, (await RunAsync(c.World.Admin, DayStart(yesterday))).StatusCode);
        var statement = (await StatementsAsync(c.World.RightsHolder))["items"]![0]!;
        var id = statement["id"]!.GetValue<Guid>();

        // Every line through keyset paging...
        var paged = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var page = JsonNode.Parse(await c.World.RightsHolder.GetStringAsync($"/v1/statements/{id}/lines?limit=40" + (cursor is null ? "" : $"&cursor={cursor}")))!;
            paged.AddRange(page["items"]!.AsArray().Select(x => x!.AsObject()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        // The holder has two characters in the shared video: two statement lines for each of its revenue lines.
        Assert.Equal(250 + (250 - 84), paged.Count);
        Assert.Equal(statement["lineCount"]!.GetValue<long>(), paged.Count);
        Assert.Equal(statement["amountMinor"]!.GetValue<long>(), paged.Sum(l => l["amountMinor"]!.GetValue<long>()));

        // ...and the CSV says the same, field for field, with amounts in the currency's precision.
        var response = await c.World.RightsHolder.GetAsync($"/v1/statements/{id}/lines.csv");
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Contains("\r\n", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        using var reader = new CsvReader(new StreamReader(new MemoryStream(bytes)), CultureInfo.InvariantCulture);
        await reader.ReadAsync();
        reader.ReadHeader();
        Assert.Equal(Statements.CsvColumns, reader.HeaderRecord);
        var row = 0;
        while (await reader.ReadAsync())
        {
            var json = paged[row++];
            Assert.Equal(json["lineId"]!.GetValue<string>(), reader.GetField("line_id"));
            Assert.Equal(json["kind"]!.GetValue<string>(), reader.GetField("kind"));
            Assert.Equal(json["characterId"]!.GetValue<Guid>(), Guid.Parse(reader.GetField("character_id")!));
            Assert.Equal(json["characterName"]!.GetValue<string>(), reader.GetField("character"));
            Assert.Equal(json["grantId"]!.GetValue<Guid>(), Guid.Parse(reader.GetField("grant_id")!));
            Assert.Equal(json["shareBps"]!.GetValue<int>(), int.Parse(reader.GetField("share_bps")!, CultureInfo.InvariantCulture));
            Assert.True(Currencies.TryParse(reader.GetField("amount")!, "USD", out var amount));
            Assert.Equal(json["amountMinor"]!.GetValue<long>(), amount);
            Assert.True(Currencies.TryParse(reader.GetField("revenue")!, "USD", out var revenue));
            Assert.Equal(json["revenueMinor"]!.GetValue<long>(), revenue);
            Assert.Equal(json["occurredAt"]!.GetValue<DateTimeOffset>(), DateTimeOffset.Parse(reader.GetField("occurred_at")!, CultureInfo.InvariantCulture));
        }

        Assert.Equal(paged.Count, row);
        await c.App.DisposeAsync();
    }

    [Fact]
    public async Task LateRevenueAndCorrectionsBecomeAdjustmentsOfTheNextPeriodNamingTheirOriginalPeriod()
    {
        var c = await CastAsync("latelines");
        var today = DayStart(c.Clock.GetUtcNow());
        await PostOkAsync(c.World.Platform, Line("sale", c.Solo, 10_000, today.AddHours(1)));

        c.Clock.Offset += TimeSpan.FromDays(1); // tomorrow: today's period has ended
        Assert.Equal(HttpStatusCode.OK, (await RunAsync(c.World.Admin, today)).StatusCode);
        var late = await PostOkAsync(c.World.Platform, Line("late-sale", c.Solo, 5_000, today.AddHours(2)));
        var reversal = await PostOkAsync(c.World.Platform, Adjustment("refund", c.Solo, "sale", -10_000, c.Clock.GetUtcNow().AddMinutes(-1)));

        Assert.Equal("late_revenue", late["lines"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal(today.AddDays(1), late["lines"]![0]!["periodStart"]!.GetValue<DateTimeOffset>());
        Assert.Equal(today, late["lines"]![0]!["originalPeriodStart"]!.GetValue<DateTimeOffset>());
        Assert.Equal("reversal", reversal["lines"]![0]!["kind"]!.GetValue<string>());

        c.Clock.Offset += TimeSpan.FromDays(1);
        Assert.Equal(HttpStatusCode.OK, (await RunAsync(c.World.Admin, today.AddDays(1))).StatusCode);
        var statements = (await StatementsAsync(c.World.RightsHolder))["items"]!.AsArray();
        Assert.Equal(2, statements.Count);
        var next = statements[0]!;
        Assert.Equal(today.AddDays(1), next["periodStart"]!.GetValue<DateTimeOffset>());
        Assert.Equal(1_000 - 2_000, next["amountMinor"]!.GetValue<long>()); // 20 % of the late 5,000, less 20 % of the reversed 10,000
        Assert.Equal(next["amountMinor"]!.GetValue<long>(), next["adjustmentsMinor"]!.GetValue<long>());
        var lines = JsonNode.Parse(await c.World.RightsHolder.GetStringAsync($"/v1/statements/{next["id"]}/lines"))!["items"]!.AsArray();
        Assert.Equal(["late_revenue", "reversal"], lines.Select(l => l!["kind"]!.GetValue<string>()).Order());
        Assert.All(lines, l =>
        {
            Assert.Equal(today, l!["originalPeriodStart"]!.GetValue<DateTimeOffset>());
            Assert.Equal(c.Solo, l["generationId"]!.GetValue<Guid>());
        });
        Assert.Equal("sale", lines.Single(l => l!["kind"]!.GetValue<string>() == "reversal")!["adjusts"]!.GetValue<string>());
        // The first statement was not touched: paid once, never again.
        Assert.Equal(2_000, statements[1]!["amountMinor"]!.GetValue<long>());
        await c.App.DisposeAsync();
    }

    [Fact]
    public async Task AClosedPeriodTakesNoMoreRevenueAndOnlyEndedPeriodsCloseOrSettle()
    {
        var c = await CastAsync("close");
        var today = DayStart(c.Clock.GetUtcNow());
        await PostOkAsync(c.World.Platform, Line("now", c.Solo, 100, today.AddHours(11)));
        var period = await PeriodAsync(c.World.Admin, today);
        Assert.Equal(HttpStatusCode.Conflict, (await c.World.Admin.PostAsync($"/v1/admin/settlements/periods/{period["id"]}/close", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await c.World.Admin.PostAsync($"/v1/admin/settlements/periods/{period["id"]}/run", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await c.World.Admin.PostAsync("/v1/admin/settlements/periods/999999/run", null)).StatusCode);

        c.Clock.Offset += TimeSpan.FromDays(1);
        var closed = await c.World.Admin.PostAsync($"/v1/admin/settlements/periods/{period["id"]}/close", null);
        Assert.Equal("closed", (await World.Json(closed))["status"]!.GetValue<string>());
        var late = await PostOkAsync(c.World.Platform, Line("after-close", c.Solo, 100, today.AddHours(3)));
        Assert.Equal("late_revenue", late["lines"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal(today.AddDays(1), late["lines"]![0]!["periodStart"]!.GetValue<DateTimeOffset>());

        Assert.Equal(HttpStatusCode.OK, (await RunAsync(c.World.Admin, today)).StatusCode);
        Assert.Equal(1L, (await PeriodAsync(c.World.Admin, today))["lines"]!.GetValue<long>());
        await c.App.DisposeAsync();
    }

    [Fact]
    public async Task RightsHoldersSeeOnlyTheirOwnStatements()
    {
        var c = await CastAsync("walls");
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
        await PostOkAsync(c.World.Platform, Line("a", c.Solo, 5_000, yesterday));
        await RunAsync(c.World.Admin, DayStart(yesterday));
        var id = (await StatementsAsync(c.World.RightsHolder))["items"]![0]!["id"]!.GetValue<Guid>();

        Assert.Empty((await StatementsAsync(c.World.OtherRightsHolder))["items"]!.AsArray());
        foreach (var path in new[] { $"/v1/statements/{id}", $"/v1/statements/{id}/lines", $"/v1/statements/{id}/lines.csv" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await c.World.OtherRightsHolder.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await c.World.RightsHolder.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await c.World.Platform.GetAsync(path)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await c.World.RightsHolder.GetAsync("/v1/admin/settlements/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await c.World.RightsHolder.GetAsync($"/v1/statements/{id}/lines?cursor=abc")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await c.World.RightsHolder.GetAsync("/v1/statements?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await c.World.RightsHolder.GetAsync("/v1/statements/chart.svg?currency=XYZ")).StatusCode);
        var chart = await c.World.RightsHolder.GetAsync("/v1/statements/chart.svg?currency=USD");
        Assert.Equal("image/svg+xml", chart.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<title id=\"chart-title\">", await chart.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.StartsWith("<svg", (await StatementsAsync(c.World.RightsHolder))["charts"]![0]!["svg"]!.GetValue<string>(), StringComparison.Ordinal);
        await c.App.DisposeAsync();
    }

    [Fact]
    public async Task RevenueOfAVideoFromThePipelinePaysTheRightsHolderOfItsCharacter()
    {
        // The real path: a prompt naming a character licensed with a 15 % share is generated, screened and released;
        // the release writes the usage event, the platform reports revenue, and the next day's run pays the holder.
        var clock = new TestClock();
        var app = await postgres.CreateAppAsync("pipeline", o => o.Services = s => s.AddSingleton<TimeProvider>(clock));
        var world = await app.NewWorldAsync();
        var (character, name) = await world.CharacterAsync("Royalty Robin");
        await world.GrantAsync(character, new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 1500 });
        var created = await world.Platform.PostAsJsonAsync("/v1/generations", new { prompt = $"{name} waves from a hilltop", durationSeconds = 2, size = "320x180" });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var generation = (await World.Json(created))["id"]!.GetValue<Guid>();
        var state = "";
        for (var i = 0; i < 240 && state is not ("released" or "blocked" or "failed" or "in_review" or "cancelled"); i++)
        {
            await Task.Delay(500);
            state = (await World.Json(await world.Platform.GetAsync($"/v1/generations/{generation}")))["state"]!.GetValue<string>();
        }

        Assert.Equal("released", state);
        var usage = Assert.Single(JsonNode.Parse(await world.RightsHolder.GetStringAsync("/v1/usage"))!.AsArray())!;
        Assert.Equal(generation, usage["generationId"]!.GetValue<Guid>());

        await PostOkAsync(world.Platform, Line("view-1", generation, 2_000, DateTimeOffset.UtcNow), Line("view-2", generation, 99, DateTimeOffset.UtcNow));
        clock.Offset = TimeSpan.FromDays(1); // tomorrow: today's period has ended
        Assert.Equal(HttpStatusCode.OK, (await RunAsync(world.Admin, DayStart(DateTimeOffset.UtcNow))).StatusCode);

        var statement = Assert.Single((await StatementsAsync(world.RightsHolder))["items"]!.AsArray())!;
        Assert.Equal(300 + 15, statement["amountMinor"]!.GetValue<long>()); // 15 % of 2,000 and of 99 (14.85 → 15)
        var line = JsonNode.Parse(await world.RightsHolder.GetStringAsync($"/v1/statements/{statement["id"]}/lines"))!["items"]![0]!;
        Assert.Equal(character, line["characterId"]!.GetValue<Guid>());
        Assert.Equal(usage["grantId"]!.GetValue<Guid>(), line["grantId"]!.GetValue<Guid>());
        Assert.Equal(1500, line["shareBps"]!.GetValue<int>());
        await app.DisposeAsync();
    }

    private static async Task<JsonObject> StatementsAsync(HttpClient holder) => JsonNode.Parse(await holder.GetStringAsync("/v1/statements"))!.AsObject();

    private static async Task<JsonObject> ReconcileAsync(HttpClient admin, DateTimeOffset start, bool recompute)
    {
        var period = await PeriodAsync(admin, start);
        return JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/settlements/periods/{period["id"]}/reconciliation?recompute={recompute.ToString().ToLowerInvariant()}"))!.AsObject();
    }
}
