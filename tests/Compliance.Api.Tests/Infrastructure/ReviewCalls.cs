using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>The review-queue calls the review, appeal and held-generation tests make.</summary>
internal static class ReviewCalls
{
    /// <summary>The item of <paramref name="decisionId"/> of <paramref name="kind"/> (any status), found through the queue's tenant filter.</summary>
    public static async Task<JsonObject> ItemOfAsync(HttpClient auditor, Guid tenantId, Guid decisionId, string kind = "review")
    {
        var page = await World.Json(await auditor.GetAsync($"/v1/reviews?status=all&tenantId={tenantId}&limit=500"));
        var item = page["items"]!.AsArray().Select(i => i!.AsObject())
            .LastOrDefault(i => i["decisionId"]!.GetValue<Guid>() == decisionId && i["kind"]!.GetValue<string>() == kind);
        Assert.True(item is not null, $"no {kind} item for decision {decisionId} in {page.ToJsonString()}");
        return item!;
    }

    public static Guid Id(JsonObject item) => item["id"]!.GetValue<Guid>();

    public static Task<HttpResponseMessage> ClaimAsync(HttpClient auditor, Guid itemId) => auditor.PostAsync($"/v1/reviews/{itemId}/claim", null);

    public static Task<HttpResponseMessage> ResolveAsync(HttpClient auditor, Guid itemId, string resolution, string reason = "Checked by hand.", string? publicNote = null) =>
        auditor.PostAsJsonAsync($"/v1/reviews/{itemId}/resolve", new { resolution, reason, publicNote });

    /// <summary>Claims and resolves, asserting both succeed.</summary>
    public static async Task<JsonObject> ClaimAndResolveAsync(HttpClient auditor, Guid itemId, string resolution, string reason = "Checked by hand.", string? publicNote = null)
    {
        var claim = await ClaimAsync(auditor, itemId);
        Assert.True(claim.StatusCode == HttpStatusCode.OK, await claim.Content.ReadAsStringAsync());
        var resolved = await ResolveAsync(auditor, itemId, resolution, reason, publicNote);
        Assert.True(resolved.StatusCode == HttpStatusCode.OK, await resolved.Content.ReadAsStringAsync());
        return await World.Json(resolved);
    }

    public static async Task<JsonObject> HistoryAsync(HttpClient auditor, Guid itemId)
    {
        var response = await auditor.GetAsync($"/v1/reviews/{itemId}/history");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await World.Json(response);
    }

    public static string[] Actions(JsonObject history) =>
        history["timeline"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()).ToArray();

    /// <summary>A prompt decision of the world's platform naming a character it holds no grant for: a block.</summary>
    public static async Task<Guid> BlockAsync(World world)
    {
        var (_, name) = await world.CharacterAsync("Appeal Comet");
        var decision = await world.ScreenAsync($"{name} flies over a neon city");
        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        return decision["decisionId"]!.GetValue<Guid>();
    }

    /// <summary>
    /// A borderline prompt decision of the world's platform (World.BorderlinePrompt): a review. The app needs one Storm
    /// Queen (the name "Storm" has one owner per app); one registered by another world's holder serves every tenant, since
    /// no tenant holds a grant for it.
    /// </summary>
    public static async Task<Guid> ReviewDecisionAsync(World world)
    {
        var response = await world.RightsHolder.PostAsJsonAsync("/v1/characters", new
        {
            canonicalName = $"Storm Queen {Guid.NewGuid().ToString("N")[..6]}",
            aliases = new[] { "Storm" },
            franchise = "Test Franchise",
            description = "A queen who commands the weather: a tall woman in a cloak of thunderclouds with a crown of lightning, who summons storms over the city.",
        });
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
        var decision = await world.ScreenAsync(World.BorderlinePrompt);
        Assert.Equal("review", decision["outcome"]!.GetValue<string>());
        return decision["decisionId"]!.GetValue<Guid>();
    }

    public static async Task<bool> ChainIntactAsync(HttpClient auditor) =>
        (await World.Json(await auditor.GetAsync("/v1/decisions/verify")))["intact"]!.GetValue<bool>();
}
