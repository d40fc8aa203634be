using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class ScreeningTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task UnlicensedCharacterIsBlockedWithRuleSpanAndPolicyVersion()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Captain Quasar");
        var prompt = $"A cinematic shot of {name} flying over the sea";

        var decision = await world.ScreenAsync(prompt);

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.StartsWith("sha256:", decision["policyVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        var reason = decision["reasons"]![0]!;
        Assert.Equal("unlicensed-character-blocks", reason["rule"]!.GetValue<string>());
        Assert.Equal(id, reason["signal"]!["entity"]!["id"]!.GetValue<Guid>());
        Assert.Equal(world.RightsHolderId, reason["signal"]!["entity"]!["ownerId"]!.GetValue<Guid>());
        var evidence = reason["signal"]!["evidence"]!;
        var start = evidence["start"]!.GetValue<int>();
        var length = evidence["length"]!.GetValue<int>();
        Assert.Equal(name, prompt.Substring(start, length));
        Assert.Equal("none", reason["fact"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task PromptWithoutCharactersIsAllowedByTheNoSignalsDefault()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var decision = await world.ScreenAsync("Waves crash on a rocky shore at sunset, slow motion");
        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        Assert.Equal("default.no_signals", decision["reasons"]![0]!["rule"]!.GetValue<string>());
    }

    [Fact]
    public async Task GrantedCharacterIsAllowed()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Moss Golem");
        await world.GrantAsync(id, new { kind = "allow" });

        var decision = await world.ScreenAsync($"{name} waters a garden");

        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        Assert.Equal("licensed-character-allows", decision["reasons"]![0]!["rule"]!.GetValue<string>());
    }

    [Fact]
    public async Task GrantToOnePlatformDoesNotLicenseAnother()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Tidal Titan");
        await world.GrantAsync(id, new { kind = "allow" });

        var decision = await world.ScreenAsync($"{name} rises from the ocean", world.OtherPlatform);

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task RevenueShareGrantAllowsWithRecordUsageAndAttribution()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Star Weaver");
        await world.GrantAsync(id, new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 1250, attributionRequired = true });

        var decision = await world.ScreenAsync($"{name} weaves constellations");

        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        var obligations = decision["obligations"]!.AsArray();
        var usage = Assert.Single(obligations, o => o!["type"]!.GetValue<string>() == "record_usage");
        Assert.Equal(1250, usage!["revenueShareBasisPoints"]!.GetValue<int>());
        Assert.Contains(obligations, o => o!["type"]!.GetValue<string>() == "attribution");
    }

    [Fact]
    public async Task DeniedCharacterIsBlocked()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Iron Heron");
        await world.GrantAsync(id, new { kind = "deny" });

        var decision = await world.ScreenAsync($"{name} stands in a marsh");

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.Equal("denied-character-blocks", decision["reasons"]![0]!["rule"]!.GetValue<string>());
    }

    [Fact]
    public async Task RevokedGrantBlocksNextPrompt()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Ember Sprite");
        var grant = await world.GrantAsync(id, new { kind = "allow" });
        Assert.Equal("allow", (await world.ScreenAsync($"{name} dances"))["outcome"]!.GetValue<string>());

        var revoke = await world.RightsHolder.PostAsJsonAsync($"/v1/grants/{grant}/revoke", new { reason = "licence ended" });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);

        var after = await world.ScreenAsync($"{name} dances");
        Assert.Equal("block", after["outcome"]!.GetValue<string>());
        Assert.Equal("revoked", after["reasons"]![0]!["fact"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task NewGrantSupersedesEarlierDenialAndHistoryIsKept()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Frost Lynx");
        await world.GrantAsync(id, new { kind = "deny" });
        await world.GrantAsync(id, new { kind = "allow" });

        Assert.Equal("allow", (await world.ScreenAsync($"{name} in the snow"))["outcome"]!.GetValue<string>());
        var history = await world.RightsHolder.GetFromJsonAsync<List<Dictionary<string, object>>>($"/v1/grants?characterId={id}");
        Assert.Equal(2, history!.Count);
    }

    [Fact]
    public async Task ExpiredAndFutureGrantsDoNotLicense()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (expiredId, expired) = await world.CharacterAsync("Old Lantern");
        var (futureId, future) = await world.CharacterAsync("New Lantern");
        await world.GrantAsync(expiredId, new { kind = "allow", validFrom = DateTimeOffset.UtcNow.AddDays(-10), validUntil = DateTimeOffset.UtcNow.AddDays(-1) });
        await world.GrantAsync(futureId, new { kind = "allow", validFrom = DateTimeOffset.UtcNow.AddDays(1) });

        var a = await world.ScreenAsync($"{expired} glows");
        var b = await world.ScreenAsync($"{future} glows");

        Assert.Equal("expired", a["reasons"]![0]!["fact"]!["state"]!.GetValue<string>());
        Assert.Equal("block", a["outcome"]!.GetValue<string>());
        Assert.Equal("not_yet_valid", b["reasons"]![0]!["fact"]!["state"]!.GetValue<string>());
        Assert.Equal("block", b["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task GrantExcludingAContextBlocksRequestsInThatContext()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Gentle Giant");
        await world.GrantAsync(id, new { kind = "allow", disallowedContexts = new[] { "violence" } });

        var calm = await world.ScreenAsync($"{name} plants trees", contexts: ["advertising"]);
        var violent = await world.ScreenAsync($"{name} in a battle", contexts: ["violence"]);

        Assert.Equal("allow", calm["outcome"]!.GetValue<string>());
        Assert.Equal("block", violent["outcome"]!.GetValue<string>());
        Assert.Equal("context-restricted-character-blocks", violent["reasons"]![0]!["rule"]!.GetValue<string>());
    }

    [Fact]
    public async Task ExcludedContextIsDetectedEvenWhenThePlatformDoesNotDeclareIt()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Gentle Knight");
        await world.GrantAsync(id, new { kind = "allow", disallowedContexts = new[] { "violence" } });

        var calm = await world.ScreenAsync($"{name} reads a book to a sleepy dragon by the fireplace");
        var violent = await world.ScreenAsync($"{name} stabs a soldier in a bloody battle, gore everywhere");

        Assert.Equal("allow", calm["outcome"]!.GetValue<string>());
        Assert.Equal("block", violent["outcome"]!.GetValue<string>());
        var fact = violent["reasons"]![0]!["fact"]!;
        Assert.Equal("context_restricted", fact["state"]!.GetValue<string>());
        Assert.Contains("violence (detected", fact["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewCharacterIsMatchedOnTheNextRequest()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (_, name) = await world.CharacterAsync("Quill Drake");
        Assert.Equal("block", (await world.ScreenAsync($"{name} writes a letter"))["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task AliasIsMatchedAndReportedAsTheMatchedSpan()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var alias = "Zorblax " + Guid.NewGuid().ToString("N")[..5];
        var (id, _) = await world.CharacterAsync("Commander Zorb", [alias]);

        var decision = await world.ScreenAsync($"a portrait of {alias} on a throne");

        var signal = decision["reasons"]![0]!["signal"]!;
        Assert.Equal(id, signal["entity"]!["id"]!.GetValue<Guid>());
        Assert.Equal(alias, signal["evidence"]!["matchedText"]!.GetValue<string>());
    }
}
