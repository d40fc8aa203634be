using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using static Compliance.Api.Tests.Infrastructure.ReviewCalls;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class AppealTests(PostgresFixture postgres) : PostgresTests
{
    private static Task<HttpResponseMessage> AppealAsync(HttpClient platform, Guid decision, string statement = "Our user drew this character themselves.") =>
        platform.PostAsJsonAsync($"/v1/decisions/{decision}/appeals", new { statement });

    [Fact]
    public async Task AnAppealJoinsTheQueueItsDecisionCameFromAndThePlatformSeesTheOutcomeAndPublicNotesOnly()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var decision = await BlockAsync(world);

        var filed = await AppealAsync(world.Platform, decision);
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var appeal = await World.Json(filed);
        var appealId = appeal["id"]!.GetValue<Guid>();
        Assert.Equal($"/v1/appeals/{appealId}", filed.Headers.Location?.OriginalString);
        Assert.Equal("open", appeal["status"]!.GetValue<string>());

        // Same queue as the decision (its subject), marked as an appeal, with the statement.
        var item = await ItemOfAsync(world.Auditor, world.TenantId, decision, "appeal");
        Assert.Equal(appealId, Id(item));
        Assert.Equal("prompt", item["queue"]!.GetValue<string>());
        Assert.Equal("block", item["decisionOutcome"]!.GetValue<string>());
        Assert.Equal("Our user drew this character themselves.", item["statement"]!.GetValue<string>());
        var inQueue = await World.Json(await world.Auditor.GetAsync($"/v1/reviews?tenantId={world.TenantId}&kind=appeal&queue=prompt"));
        Assert.Contains(inQueue["items"]!.AsArray(), i => i!["id"]!.GetValue<Guid>() == appealId);

        Assert.Equal(HttpStatusCode.Created, (await world.Auditor.PostAsJsonAsync($"/v1/reviews/{appealId}/notes", new { visibility = "internal", text = "INTERNAL: checked the catalog" })).StatusCode);
        await ClaimAndResolveAsync(world.Auditor, appealId, "overturn", "SECRET: fan art under the grant's terms", "Overturned: fan art is allowed.");

        var response = await world.Platform.GetAsync($"/v1/appeals/{appealId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var seen = JsonNode.Parse(body)!;
        Assert.Equal("resolved", seen["status"]!.GetValue<string>());
        Assert.Equal("overturn", seen["resolution"]!.GetValue<string>());
        Assert.Equal("allow", seen["effectiveOutcome"]!.GetValue<string>());
        Assert.Equal(["Overturned: fan art is allowed."], seen["publicNotes"]!.AsArray().Select(n => n!["text"]!.GetValue<string>()).ToArray());
        Assert.DoesNotContain("INTERNAL", body, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", body, StringComparison.Ordinal);
        var appeals = JsonNode.Parse(await (await world.Platform.GetAsync($"/v1/decisions/{decision}/appeals")).Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(appealId, Assert.Single(appeals)!["id"]!.GetValue<Guid>());

        // The history reads: the block, the appeal, the note, the claim, the public note, the resolution; the chain holds.
        Assert.Equal(["decided", "appeal_filed", "note_added", "claimed", "note_added", "resolved"], Actions(await HistoryAsync(world.Auditor, appealId)));
        Assert.True(await ChainIntactAsync(world.Auditor));
        // Overturned, the decision is no longer a block: nothing left to appeal.
        Assert.Equal(HttpStatusCode.Conflict, (await AppealAsync(world.Platform, decision)).StatusCode);
    }

    [Fact]
    public async Task OneOpenAppealPerDecisionEvenWhenFiledAtOnceAndAnotherOnlyAfterItIsUpheld()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var decision = await BlockAsync(world);

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => AppealAsync(world.Platform, decision, $"statement {i}")));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(4, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        var appealId = (await World.Json(answers.Single(a => a.StatusCode == HttpStatusCode.Created)))["id"]!.GetValue<Guid>();
        Assert.Equal(HttpStatusCode.Conflict, (await AppealAsync(world.Platform, decision)).StatusCode);
        await ClaimAndResolveAsync(world.Auditor, appealId, "uphold", "The character is plainly named.", "Upheld: the character is named.");
        Assert.Equal("block", (await World.Json(await world.Platform.GetAsync($"/v1/appeals/{appealId}")))["effectiveOutcome"]!.GetValue<string>());

        // Upheld, the block stands and may be appealed again (with new facts); still one open at a time.
        Assert.Equal(HttpStatusCode.Created, (await AppealAsync(world.Platform, decision, "We now hold a licence.")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await AppealAsync(world.Platform, decision)).StatusCode);
        Assert.Equal(2, JsonNode.Parse(await (await world.Platform.GetAsync($"/v1/decisions/{decision}/appeals")).Content.ReadAsStringAsync())!.AsArray().Count);
    }

    [Fact]
    public async Task OnlyItsOwnPlatformAppealsOnlyABlockWithAStatement()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var block = await BlockAsync(world);
        var allowed = (await world.ScreenAsync("a quiet meadow"))["decisionId"]!.GetValue<Guid>();
        var inReview = await ReviewDecisionAsync(world);

        Assert.Equal(HttpStatusCode.NotFound, (await AppealAsync(world.OtherPlatform, block)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await AppealAsync(world.Platform, Guid.NewGuid())).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await AppealAsync(world.Platform, allowed)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await AppealAsync(world.Platform, inReview)).StatusCode);  // not decided yet
        Assert.Equal(HttpStatusCode.BadRequest, (await AppealAsync(world.Platform, block, "  ")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await AppealAsync(world.Platform, block, new string('s', 4001))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Platform.PostAsJsonAsync($"/v1/decisions/{block}/appeals", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await AppealAsync(world.Auditor, block)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await AppealAsync(world.RightsHolder, block)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await AppealAsync(world.Admin, block)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await AppealAsync(world.App.CreateClient(), block)).StatusCode);

        // A review a reviewer upheld is a block, and can be appealed.
        await ClaimAndResolveAsync(world.Auditor, Id(await ItemOfAsync(world.Auditor, world.TenantId, inReview)), "uphold");
        var filed = await AppealAsync(world.Platform, inReview);
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var appealId = (await World.Json(filed))["id"]!.GetValue<Guid>();
        Assert.Equal(HttpStatusCode.NotFound, (await world.OtherPlatform.GetAsync($"/v1/appeals/{appealId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.RightsHolder.GetAsync($"/v1/appeals/{appealId}")).StatusCode);
        var scoped = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.Auditor, world.OtherTenantId));
        Assert.Equal(HttpStatusCode.NotFound, (await scoped.GetAsync($"/v1/appeals/{appealId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await world.Auditor.GetAsync($"/v1/appeals/{appealId}")).StatusCode);
    }
}
