using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Compliance.Api.Tests.Infrastructure.ReviewCalls;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class ReviewTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task BorderlineDecisionIsQueuedReviewedOnceWithAReasonAndLeavesTheQueue()
    {
        var app = await postgres.CreateAppAsync("reviews");
        var world = await app.NewWorldAsync();
        // "Storm" alone never blocks (issue 10), and the prompt resembles the description: a borderline decision.
        await world.StormQueenAsync();
        var decision = await world.ScreenAsync(World.BorderlinePrompt);
        Assert.Equal("review", decision["outcome"]!.GetValue<string>());
        var id = decision["decisionId"]!.GetValue<Guid>();

        var queue = await World.Json(await world.Auditor.GetAsync("/v1/reviews/queue"));
        Assert.Contains(queue["items"]!.AsArray(), i => i!["decisionId"]!.GetValue<Guid>() == id);

        var review = await world.Auditor.PostAsJsonAsync($"/v1/decisions/{id}/review", new { outcome = "block", reason = "Clearly the character, in a franchise setting." });
        Assert.Equal(HttpStatusCode.Created, review.StatusCode);

        var after = await World.Json(await world.Auditor.GetAsync("/v1/reviews/queue"));
        Assert.DoesNotContain(after["items"]!.AsArray(), i => i!["decisionId"]!.GetValue<Guid>() == id);
        Assert.Equal(HttpStatusCode.Conflict, (await world.Auditor.PostAsJsonAsync($"/v1/decisions/{id}/review", new { outcome = "allow", reason = "second thoughts" })).StatusCode);
        var seenByPlatform = await World.Json(await world.Platform.GetAsync($"/v1/decisions/{id}/review"));
        Assert.Equal("block", seenByPlatform["outcome"]!.GetValue<string>());
        Assert.Null(seenByPlatform["reason"]);  // the reason is internal
        Assert.Equal("Clearly the character, in a franchise setting.", (await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{id}/review")))["reason"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await world.OtherPlatform.GetAsync($"/v1/decisions/{id}/review")).StatusCode);
        // The decision itself is unchanged and the log still verifies.
        Assert.Equal("review", (await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{id}")))["decision"]!["outcome"]!.GetValue<string>());
        Assert.True(await ChainIntactAsync(world.Auditor));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task OnlyAuditorsReviewOnlyReviewDecisionsWithAValidOutcomeAndReason()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var allowed = (await world.ScreenAsync("a quiet meadow"))["decisionId"]!.GetValue<Guid>();

        Assert.Equal(HttpStatusCode.Conflict, (await world.Auditor.PostAsJsonAsync($"/v1/decisions/{allowed}/review", new { outcome = "block", reason = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Auditor.PostAsJsonAsync($"/v1/decisions/{allowed}/review", new { outcome = "maybe", reason = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Auditor.PostAsJsonAsync($"/v1/decisions/{allowed}/review", new { outcome = "block", reason = " " })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.PostAsJsonAsync($"/v1/decisions/{allowed}/review", new { outcome = "allow", reason = "mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.GetAsync("/v1/reviews/queue")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await world.Auditor.PostAsJsonAsync($"/v1/decisions/{Guid.NewGuid()}/review", new { outcome = "allow", reason = "x" })).StatusCode);
    }

    [Fact]
    public async Task TwoAuditorsClaimingOneItemAtOnceExactlyOneWins()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var item = Id(await ItemOfAsync(world.Auditor, world.TenantId, await ReviewDecisionAsync(world)));
        var auditors = new List<HttpClient>();
        for (var i = 0; i < 8; i++)
        {
            auditors.Add(world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.Auditor)));
        }

        var answers = await Task.WhenAll(auditors.Select(a => ClaimAsync(a, item)));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.Equal(7, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        var loser = answers.First(a => a.StatusCode == HttpStatusCode.Conflict);
        Assert.Equal("application/problem+json", loser.Content.Headers.ContentType?.MediaType);
        var winner = auditors[Array.FindIndex(answers, a => a.StatusCode == HttpStatusCode.OK)];
        // Only the winner can resolve; the others are told someone holds the item.
        var losers = auditors.Where(a => a != winner).ToList();
        Assert.Equal(HttpStatusCode.Conflict, (await ResolveAsync(losers[0], item, "overturn")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ResolveAsync(winner, item, "overturn")).StatusCode);
        var history = await HistoryAsync(world.Auditor, item);
        Assert.Equal(["opened", "claimed", "resolved"], Actions(history));
    }

    [Fact]
    public async Task AClaimLapsesAfterTheConfiguredTimeAndAnotherAuditorTakesTheItemOver()
    {
        var clock = new TestClock();
        var app = await postgres.CreateAppAsync("claimexpiry", o =>
        {
            o.Services = s => s.AddSingleton<TimeProvider>(clock);
            o.Settings["Reviews:ClaimDuration"] = "00:05:00";
        });
        var world = await app.NewWorldAsync();
        var second = app.ClientWithKey(await app.CreateKeyAsync(Roles.Auditor));
        var item = Id(await ItemOfAsync(world.Auditor, world.TenantId, await ReviewDecisionAsync(world)));

        var claim = await World.Json(await ClaimAsync(world.Auditor, item));
        Assert.True(claim["claimActive"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.Conflict, (await ClaimAsync(second, item)).StatusCode);

        clock.Offset += TimeSpan.FromMinutes(4);
        Assert.Equal(HttpStatusCode.Conflict, (await ClaimAsync(second, item)).StatusCode);  // still held at 4 minutes

        clock.Offset += TimeSpan.FromMinutes(2);
        // Lapsed: its holder can no longer resolve without claiming again, and the history shows the lapse.
        Assert.Equal(HttpStatusCode.Conflict, (await ResolveAsync(world.Auditor, item, "uphold")).StatusCode);
        Assert.False((await World.Json(await world.Auditor.GetAsync($"/v1/reviews/{item}")))["claimActive"]!.GetValue<bool>());
        var lapsed = await HistoryAsync(world.Auditor, item);
        var unlogged = lapsed["timeline"]!.AsArray().Last()!;
        Assert.Equal("claim_expired", unlogged["action"]!.GetValue<string>());
        Assert.False(unlogged["logged"]!.GetValue<bool>());

        Assert.Equal(HttpStatusCode.OK, (await ClaimAsync(second, item)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ResolveAsync(second, item, "uphold")).StatusCode);
        var history = await HistoryAsync(world.Auditor, item);
        Assert.Equal(["opened", "claimed", "claim_expired", "claimed", "resolved"], Actions(history));
        var expired = history["timeline"]!.AsArray()[2]!;
        Assert.True(expired["logged"]!.GetValue<bool>());
        Assert.NotNull(expired["detail"]!["previousClaimantKeyId"]);
        Assert.True(await ChainIntactAsync(world.Auditor));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task EveryQueueActionIsALinkedLogEntryTheTimelineReadsInOrderAndTheChainStillVerifies()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var decision = await ReviewDecisionAsync(world);
        var item = Id(await ItemOfAsync(world.Auditor, world.TenantId, decision));

        Assert.Equal(HttpStatusCode.OK, (await ClaimAsync(world.Auditor, item)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await world.Auditor.PostAsJsonAsync($"/v1/reviews/{item}/notes", new { visibility = "internal", text = "Looks like the queen." })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await world.Auditor.DeleteAsync($"/v1/reviews/{item}/claim")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await world.Auditor.DeleteAsync($"/v1/reviews/{item}/claim")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ClaimAsync(world.Auditor, item)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ResolveAsync(world.Auditor, item, "uphold", "The description is the character's.", "Blocked: the prompt describes a licensed character.")).StatusCode);

        var history = await HistoryAsync(world.Auditor, item);
        Assert.Equal(["opened", "claimed", "note_added", "claim_released", "claimed", "note_added", "resolved"], Actions(history));
        var sequences = history["timeline"]!.AsArray().Select(e => e!["sequence"]!.GetValue<long>()).ToList();
        Assert.Equal(sequences.Order(), sequences);
        Assert.All(history["timeline"]!.AsArray(), e => Assert.Equal(64, e!["entrySha256"]!.GetValue<string>().Length));
        var resolved = history["timeline"]!.AsArray().Last()!;
        Assert.Equal("uphold", resolved["detail"]!["resolution"]!.GetValue<string>());
        Assert.Equal("The description is the character's.", resolved["detail"]!["reason"]!.GetValue<string>());
        Assert.Equal(2, history["notes"]!.AsArray().Count);
        // Each action is its own entry linked to the decision, never a change to it.
        Assert.Equal(6L, await GenerationJobs.ScalarAsync<long>(world.App,
            "select count(*) from decisions where kind = 'review' and linked_decision_id = @decision", new { decision }));
        Assert.Equal("review", (await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{decision}")))["decision"]!["outcome"]!.GetValue<string>());
        Assert.True(await ChainIntactAsync(world.Auditor));
        // Review entries are not decisions: the decision list does not show them.
        var listed = await World.Json(await world.Auditor.GetAsync($"/v1/decisions?tenantId={world.TenantId}"));
        Assert.Equal([decision], listed["items"]!.AsArray().Select(i => i!["decisionId"]!.GetValue<Guid>()).ToArray());
    }

    [Fact]
    public async Task ThePlatformSeesTheOutcomeAndPublicNotesButNeverInternalNotesAndOtherTenantsSeeNothing()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var decision = await ReviewDecisionAsync(world);
        var item = Id(await ItemOfAsync(world.Auditor, world.TenantId, decision));
        Assert.Equal(HttpStatusCode.Created, (await world.Auditor.PostAsJsonAsync($"/v1/reviews/{item}/notes", new { visibility = "internal", text = "INTERNAL-ONLY remark" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await world.Auditor.PostAsJsonAsync($"/v1/reviews/{item}/notes", new { visibility = "public", text = "Allowed: a weather scene." })).StatusCode);
        await ClaimAndResolveAsync(world.Auditor, item, "overturn", "SECRET-REASON weather, not the queen");

        var response = await world.Platform.GetAsync($"/v1/decisions/{decision}/review");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var seen = JsonNode.Parse(body)!;
        Assert.Equal("allow", seen["outcome"]!.GetValue<string>());
        Assert.Equal(["Allowed: a weather scene."], seen["publicNotes"]!.AsArray().Select(n => n!["text"]!.GetValue<string>()).ToArray());
        Assert.DoesNotContain("INTERNAL-ONLY", body, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-REASON", body, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NotFound, (await world.OtherPlatform.GetAsync($"/v1/decisions/{decision}/review")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await world.OtherPlatform.GetAsync($"/v1/decisions/{decision}/appeals")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.GetAsync($"/v1/reviews/{item}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.GetAsync($"/v1/reviews/{item}")).StatusCode);
        // An auditor scoped to another tenant sees neither the item nor its notes.
        var scoped = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.Auditor, world.OtherTenantId));
        Assert.Equal(HttpStatusCode.NotFound, (await scoped.GetAsync($"/v1/reviews/{item}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await scoped.PostAsJsonAsync($"/v1/reviews/{item}/notes", new { visibility = "internal", text = "x" })).StatusCode);
        Assert.Empty((await World.Json(await scoped.GetAsync($"/v1/reviews?status=all&tenantId={world.TenantId}")))["items"]!.AsArray());
    }

    [Fact]
    public async Task TheQueueFiltersByTenantRuleCharacterKindAndQueueAndPagesOldestFirst()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var decisions = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            decisions.Add(await ReviewDecisionAsync(world));
        }

        var first = await ItemOfAsync(world.Auditor, world.TenantId, decisions[0]);
        var rule = first["rules"]!.AsArray()[0]!.GetValue<string>();
        var character = first["entityIds"]!.AsArray()[0]!.GetValue<Guid>();
        async Task<Guid[]> Listed(string query) =>
            (await World.Json(await world.Auditor.GetAsync($"/v1/reviews?tenantId={world.TenantId}&{query}")))["items"]!.AsArray()
                .Select(i => i!["decisionId"]!.GetValue<Guid>()).ToArray();

        Assert.Equal(decisions, await Listed("limit=50"));
        Assert.Equal(decisions, await Listed($"rule={rule}"));
        Assert.Equal(decisions, await Listed($"characterId={character}"));
        Assert.Equal(decisions, await Listed("kind=review&queue=prompt"));
        Assert.Empty(await Listed("kind=appeal"));
        Assert.Empty(await Listed($"characterId={Guid.NewGuid()}"));
        Assert.Empty(await Listed("queue=video"));

        var walked = new List<Guid>();
        long? cursor = null;
        do
        {
            var page = await World.Json(await world.Auditor.GetAsync($"/v1/reviews?tenantId={world.TenantId}&limit=1" + (cursor is null ? "" : $"&cursor={cursor}")));
            walked.AddRange(page["items"]!.AsArray().Select(i => i!["decisionId"]!.GetValue<Guid>()));
            cursor = page["nextCursor"]?.GetValue<long>();
        }
        while (cursor is not null);
        Assert.Equal(decisions, walked);

        foreach (var bad in new[] { "status=pending", "kind=escalation", "limit=0", "limit=501", "cursor=0", "tenantId=nope" })
        {
            var response = await world.Auditor.GetAsync($"/v1/reviews?{bad}");
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task ResolvingNeedsALiveClaimAResolutionAndAReason()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var item = Id(await ItemOfAsync(world.Auditor, world.TenantId, await ReviewDecisionAsync(world)));

        Assert.Equal(HttpStatusCode.Conflict, (await ResolveAsync(world.Auditor, item, "uphold")).StatusCode);  // not claimed
        Assert.Equal(HttpStatusCode.OK, (await ClaimAsync(world.Auditor, item)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ResolveAsync(world.Auditor, item, "maybe")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ResolveAsync(world.Auditor, item, "uphold", "   ")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ResolveAsync(world.Auditor, item, "uphold", new string('x', 4001))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Auditor.PostAsJsonAsync($"/v1/reviews/{item}/notes", new { visibility = "secret", text = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Auditor.PostAsync($"/v1/reviews/{item}/resolve", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ClaimAsync(world.Auditor, Guid.NewGuid())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ResolveAsync(world.Auditor, item, "uphold")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await ResolveAsync(world.Auditor, item, "overturn")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await ClaimAsync(world.Auditor, item)).StatusCode);
    }

    [Fact]
    public async Task EveryReviewEndpointRefusesEveryRoleButAuditors()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var item = Id(await ItemOfAsync(world.Auditor, world.TenantId, await ReviewDecisionAsync(world)));
        var anonymous = world.App.CreateClient();
        var note = new { visibility = "public", text = "x" };
        var resolve = new { resolution = "overturn", reason = "x" };
        foreach (var (client, expected) in new[] { (world.Platform, HttpStatusCode.Forbidden), (world.RightsHolder, HttpStatusCode.Forbidden), (world.Admin, HttpStatusCode.Forbidden), (anonymous, HttpStatusCode.Unauthorized) })
        {
            Assert.Equal(expected, (await client.GetAsync("/v1/reviews")).StatusCode);
            Assert.Equal(expected, (await client.GetAsync($"/v1/reviews/{item}")).StatusCode);
            Assert.Equal(expected, (await client.PostAsync($"/v1/reviews/{item}/claim", null)).StatusCode);
            Assert.Equal(expected, (await client.DeleteAsync($"/v1/reviews/{item}/claim")).StatusCode);
            Assert.Equal(expected, (await client.PostAsJsonAsync($"/v1/reviews/{item}/notes", note)).StatusCode);
            Assert.Equal(expected, (await client.PostAsJsonAsync($"/v1/reviews/{item}/resolve", resolve)).StatusCode);
            Assert.Equal(expected, (await client.GetAsync($"/v1/reviews/{item}/history")).StatusCode);
        }

        // Nothing those calls tried reached the item.
        Assert.Equal(["opened"], Actions(await HistoryAsync(world.Auditor, item)));
    }
}
