using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

/// <summary>Every list over the decision log pages the same way and answers a bad limit the same way.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DecisionPagingTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task TheLimitRuleIsTheSameOnEveryListOverTheLog()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var profile = await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Paging Person" }));
        var person = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile["id"]!.GetValue<Guid>()));
        var lists = new (HttpClient Client, string Path)[]
        {
            (world.Auditor, "/v1/decisions"),
            (world.Platform, "/v1/decisions"),
            (world.Auditor, "/v1/reviews/queue"),
            (person, "/v1/likeness/decisions"),
            (world.Auditor, "/v1/decisions/checkpoints"),
        };

        foreach (var (client, path) in lists)
        {
            foreach (var bad in new[] { "limit=0", "limit=-1", "limit=501", "limit=100000", "cursor=0", "cursor=-5" })
            {
                var response = await client.GetAsync($"{path}?{bad}");
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}?{bad} answered {(int)response.StatusCode}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                var problem = await World.Json(response);
                Assert.Equal(bad.StartsWith("limit", StringComparison.Ordinal) ? "Bad limit." : "Bad cursor.", problem["title"]!.GetValue<string>());
            }

            foreach (var good in new[] { "limit=1", "limit=500", "" })
            {
                var response = await client.GetAsync($"{path}?{good}");
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}?{good} answered {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task TheReviewQueuePagesOldestFirstWithTheSharedCursor()
    {
        var app = await postgres.CreateAppAsync("queuepaging");
        var world = await app.NewWorldAsync();
        await world.StormQueenAsync();
        var queued = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var decision = await world.ScreenAsync($"{World.BorderlinePrompt}, take {i}");
            Assert.Equal("review", decision["outcome"]!.GetValue<string>());
            queued.Add(decision["decisionId"]!.GetValue<Guid>());
        }

        var first = await World.Json(await world.Auditor.GetAsync("/v1/reviews/queue?limit=2"));
        var second = await World.Json(await world.Auditor.GetAsync($"/v1/reviews/queue?limit=2&cursor={first["nextCursor"]}"));

        var seen = first["items"]!.AsArray().Concat(second["items"]!.AsArray()).Select(i => i!["decisionId"]!.GetValue<Guid>());
        Assert.Equal(queued, seen);
        Assert.Null(second["nextCursor"]);
        await app.DisposeAsync();
    }
}
