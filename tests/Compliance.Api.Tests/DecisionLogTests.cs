using Compliance.Api.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class DecisionLogTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task DecisionIsDurableBeforeTheAnswerArrives()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var decision = await world.ScreenAsync("a paper boat on a puddle");
        var id = decision["decisionId"]!.GetValue<Guid>();

        // Read straight from the database on a fresh connection: no cache, no in-process state.
        await using var conn = new NpgsqlConnection(world.App.Database.Owner);
        var stored = await conn.QuerySingleAsync<(long Seq, string Outcome, string Payload)>("select seq, outcome, payload from decisions where id = @id", new { id });
        Assert.Equal(decision["sequence"]!.GetValue<long>(), stored.Seq);
        Assert.Equal("allow", stored.Outcome);
        Assert.Contains("a paper boat on a puddle", stored.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditorFindsABlockWithFullEvidence()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Audit Hound");
        var blocked = await world.ScreenAsync($"{name} sniffs the ground");
        // The decision itself first: when the list below comes back empty, this says whether the screening or the list failed.
        Assert.True(blocked["outcome"]?.GetValue<string>() == "block", $"screening '{name} sniffs the ground' answered {blocked.ToJsonString()}");

        var page = await World.Json(await world.Auditor.GetAsync($"/v1/decisions?outcome=block&characterId={id}&tenantId={world.TenantId}&rule=unlicensed-character-blocks"));
        var item = Assert.Single(page["items"]!.AsArray());
        Assert.Equal(blocked["decisionId"]!.GetValue<Guid>(), item!["decisionId"]!.GetValue<Guid>());

        var detail = await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{blocked["decisionId"]}"));
        Assert.Equal(64, detail["entrySha256"]!.GetValue<string>().Length);
        var reason = detail["decision"]!["reasons"]![0]!;
        Assert.Equal(name, reason["signal"]!["evidence"]!["matchedText"]!.GetValue<string>());
        Assert.Equal("names-text", reason["signal"]!["classifier"]!.GetValue<string>());
        Assert.NotNull(reason["signal"]!["modelVersion"]);
        Assert.Equal(blocked["policyVersion"]!.GetValue<string>(), detail["decision"]!["policyVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task KeysetPaginationWalksEveryDecisionOnceNewestFirst()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var made = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            made.Add((await world.ScreenAsync($"scene number {i}"))["decisionId"]!.GetValue<Guid>());
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await World.Json(await world.Auditor.GetAsync($"/v1/decisions?tenantId={world.TenantId}&limit=3" + (cursor is null ? "" : $"&cursor={cursor}")));
            seen.AddRange(page["items"]!.AsArray().Select(i => i!["decisionId"]!.GetValue<Guid>()));
            cursor = page["nextCursor"]?.ToString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(made.AsEnumerable().Reverse(), seen);
    }

    [Fact]
    public async Task TimeRangeFilterExcludesOlderDecisions()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await world.ScreenAsync("before the cut");
        await Task.Delay(20);
        var cut = DateTimeOffset.UtcNow;
        var after = await world.ScreenAsync("after the cut");

        var page = await World.Json(await world.Auditor.GetAsync($"/v1/decisions?tenantId={world.TenantId}&from={Uri.EscapeDataString(cut.ToString("O"))}"));
        var item = Assert.Single(page["items"]!.AsArray());
        Assert.Equal(after["decisionId"]!.GetValue<Guid>(), item!["decisionId"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task AuditorExportsATenantsDecisionsAsNdjsonOldestFirst()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        for (var i = 0; i < 3; i++)
        {
            await world.ScreenAsync($"export me {i}");
        }

        await world.ScreenAsync("someone else's", world.OtherPlatform);
        var response = await world.Auditor.GetAsync($"/v1/decisions/export?tenantId={world.TenantId}");

        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Equal(lines.Select(l => l["sequence"]!.GetValue<long>()).Order(), lines.Select(l => l["sequence"]!.GetValue<long>()));
        Assert.All(lines, l => Assert.Equal(world.TenantId, l["decision"]!["tenantId"]!.GetValue<Guid>()));
        Assert.All(lines, l => Assert.Equal(64, l["entrySha256"]!.GetValue<string>().Length));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await world.Platform.GetAsync("/v1/decisions/export")).StatusCode);
    }

    [Fact]
    public async Task IntactChainVerifies()
    {
        var app = await postgres.CreateAppAsync("intact");
        var world = await app.NewWorldAsync();
        for (var i = 0; i < 5; i++)
        {
            await world.ScreenAsync($"verify me {i}");
        }

        var result = await World.Json(await world.Auditor.GetAsync("/v1/decisions/verify"));
        Assert.True(result["intact"]!.GetValue<bool>());
        Assert.Equal(5, result["entriesChecked"]!.GetValue<long>());
        await app.DisposeAsync();
    }

    [Fact]
    public async Task VerifyNamesTheFirstEditedEntry() =>
        await AssertTamperDetected("update decisions set outcome = 'block' where seq = 3", 3, "edited");

    [Fact]
    public async Task VerifyNamesTheEntryAfterADeletion() =>
        await AssertTamperDetected("delete from decisions where seq = 2", 3, "missing");

    [Fact]
    public async Task VerifyDetectsReorderedEntries() =>
        await AssertTamperDetected("update decisions set seq = -1 where seq = 2; update decisions set seq = 2 where seq = 3; update decisions set seq = 3 where seq = -1", 2, "does not link");

    [Fact]
    public async Task VerifyDetectsARewrittenPayloadEvenWithItsOwnHashRecomputed() =>
        // A forger who recomputes the edited row's own hash still breaks the link from the next row.
        await AssertTamperDetected(
            "update decisions set payload = replace(payload, 'tamper', 'TAMPER'), entry_sha256 = sha256(prev_sha256) where seq = 2", 2, "edited");

    [Fact]
    public async Task LogRefusesUpdatesEvenFromTheOwnerWhileTriggersStand()
    {
        var app = await postgres.CreateAppAsync("guard");
        var world = await app.NewWorldAsync();
        await world.ScreenAsync("guarded");
        await using var conn = new NpgsqlConnection(app.Database.Owner);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync("update decisions set outcome = 'allow'"));
        Assert.Contains("append-only", ex.MessageText, StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    private async Task AssertTamperDetected(string tamperSql, long firstBadSeq, string problem)
    {
        var app = await postgres.CreateAppAsync("tamper");
        var world = await app.NewWorldAsync();
        for (var i = 0; i < 5; i++)
        {
            await world.ScreenAsync($"tamper test {i}");
        }

        Assert.True((await World.Json(await world.Auditor.GetAsync("/v1/decisions/verify")))["intact"]!.GetValue<bool>());
        await using (var conn = new NpgsqlConnection(app.Database.Owner))
        {
            // Someone with owner rights switches the guard off and edits history.
            await conn.ExecuteAsync("alter table decisions disable trigger user; " + tamperSql + "; alter table decisions enable trigger user;");
        }

        var result = await World.Json(await world.Auditor.GetAsync("/v1/decisions/verify"));
        Assert.False(result["intact"]!.GetValue<bool>());
        Assert.Equal(firstBadSeq, result["firstBadSeq"]!.GetValue<long>());
        Assert.Contains(problem, result["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        await app.DisposeAsync();
    }
}
