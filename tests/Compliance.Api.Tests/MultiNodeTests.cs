using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace Compliance.Api.Tests;

/// <summary>Two API nodes on one database: the way the service scales out.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MultiNodeTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task TwoNodesScreeningAtOnceExtendOneIntactChain()
    {
        var a = await postgres.CreateAppAsync("nodes");
        var b = await postgres.CreateAppOnAsync(a.Database);
        var world = await a.NewWorldAsync();
        var platformOnB = b.ClientWithKey(await b.CreateKeyAsync(Roles.Platform, world.TenantId));

        var requests = Enumerable.Range(0, 60).Select(i =>
            (i % 2 == 0 ? world.Platform : platformOnB).PostAsJsonAsync("/v1/screen/prompt", new { prompt = $"a lighthouse, take {i}" }));
        var responses = await Task.WhenAll(requests);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var verify = await World.Json(await world.Auditor.GetAsync("/v1/decisions/verify"));
        Assert.True(verify["intact"]!.GetValue<bool>());
        Assert.Equal(60, verify["entriesChecked"]!.GetValue<long>());
        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Fact]
    public async Task RevocationThroughOneNodeAppliesOnTheOtherAtTheNextRequest()
    {
        var a = await postgres.CreateAppAsync("revoke2");
        var b = await postgres.CreateAppOnAsync(a.Database);
        var world = await a.NewWorldAsync();
        var platformOnB = b.ClientWithKey(await b.CreateKeyAsync(Roles.Platform, world.TenantId));
        var (id, name) = await world.CharacterAsync("Node Hopper");
        var grant = await world.GrantAsync(id, new { kind = "allow" });
        await WaitUntilMatchedAsync(platformOnB, name);
        Assert.Equal("allow", (await world.ScreenAsync($"{name} jumps", platformOnB))["outcome"]!.GetValue<string>());

        await world.RightsHolder.PostAsJsonAsync($"/v1/grants/{grant}/revoke", new { reason = "over" });

        // No waiting: B may hold the grant in its cache, but every request reads the grant-change number afresh (ADR-031).
        Assert.Equal("block", (await world.ScreenAsync($"{name} jumps", platformOnB))["outcome"]!.GetValue<string>());
        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Fact]
    public async Task GrantChangedInTheDatabaseAppliesAtTheNextRequestOnANodeThatCachedIt()
    {
        var a = await postgres.CreateAppAsync("grantcache");
        var world = await a.NewWorldAsync();
        var (id, name) = await world.CharacterAsync("Cache Sparrow");
        var (otherId, other) = await world.CharacterAsync("Cache Heron");
        var grant = await world.GrantAsync(id, new { kind = "allow" });
        await WaitUntilMatchedAsync(world.Platform, name);
        await WaitUntilMatchedAsync(world.Platform, other);
        // Both cached: one with its grant, one with none.
        Assert.Equal("allow", (await world.ScreenAsync($"{name} sings"))["outcome"]!.GetValue<string>());
        Assert.Equal("allow", (await world.ScreenAsync($"{name} sings"))["outcome"]!.GetValue<string>());
        Assert.NotEqual("allow", (await world.ScreenAsync($"{other} wades"))["outcome"]!.GetValue<string>());

        // Changed behind the service's back (an operator's SQL, another deployment): the table's trigger moves the number.
        await using (var db = NpgsqlDataSource.Create(a.Database.Owner))
        await using (var conn = await db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update grants set revoked_at = now(), revocation_reason = 'by hand' where id = @grant", new { grant });
            await conn.ExecuteAsync(
                "insert into grants (id, character_id, tenant_id, rights_holder_id, kind) select gen_random_uuid(), @otherId, tenant_id, rights_holder_id, 'allow' from grants where id = @grant",
                new { otherId, grant });
        }

        var revoked = await world.ScreenAsync($"{name} sings");
        Assert.Equal("block", revoked["outcome"]!.GetValue<string>());
        Assert.Equal("revoked", revoked["reasons"]![0]!["fact"]!["state"]!.GetValue<string>());
        Assert.Equal("allow", (await world.ScreenAsync($"{other} wades"))["outcome"]!.GetValue<string>());
        await a.DisposeAsync();
    }

    [Fact]
    public async Task CharacterAddedThroughOneNodeIsMatchedByTheOther()
    {
        var a = await postgres.CreateAppAsync("catalog2");
        var b = await postgres.CreateAppOnAsync(a.Database);
        var world = await a.NewWorldAsync();
        var platformOnB = b.ClientWithKey(await b.CreateKeyAsync(Roles.Platform, world.TenantId));

        var (_, name) = await world.CharacterAsync("Far Away Sprite");

        Assert.True(await WaitUntilMatchedAsync(platformOnB, name), "node B never matched a character added through node A");
        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    /// <summary>The catalog is followed by LISTEN/NOTIFY plus a 2 s poll: wait for it, bounded.</summary>
    private static async Task<bool> WaitUntilMatchedAsync(HttpClient platform, string name)
    {
        for (var i = 0; i < 50; i++)
        {
            var decision = await World.Json(await platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = $"{name} waves" }));
            if (decision["reasons"]![0]!["rule"]!.GetValue<string>() != "default.no_signals")
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }
}
