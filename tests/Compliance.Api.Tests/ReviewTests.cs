using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Tests.Infrastructure;

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
        Assert.Equal(HttpStatusCode.NotFound, (await world.OtherPlatform.GetAsync($"/v1/decisions/{id}/review")).StatusCode);
        // The decision itself is unchanged and the log still verifies.
        Assert.Equal("review", (await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{id}")))["decision"]!["outcome"]!.GetValue<string>());
        Assert.True((await World.Json(await world.Auditor.GetAsync("/v1/decisions/verify")))["intact"]!.GetValue<bool>());
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
}
