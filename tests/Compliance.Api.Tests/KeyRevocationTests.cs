using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace Compliance.Api.Tests;

/// <summary>Revocation takes effect on the next request on every node, and takes the keys a revoked key minted with it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class KeyRevocationTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task RevokedAdminKeyIsRefusedOnTheVeryNextRequest()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, admin) = await MintAsync(world.Admin, world.App, Roles.Admin);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/admin/tenants")).StatusCode); // verified, and cached

        await RevokeAsync(world.Admin, id);

        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/v1/admin/tenants")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.PostAsJsonAsync("/v1/admin/keys", new { name = "too late", role = Roles.Admin })).StatusCode);
    }

    [Fact]
    public async Task RevokedAdminKeyIsRefusedOnASecondNodeAtTheNextRequestAndMintsNothingThere()
    {
        var a = await postgres.CreateAppAsync("keys2");
        var b = await postgres.CreateAppOnAsync(a.Database);
        var world = await a.NewWorldAsync();
        var (id, key) = await MintKeyAsync(world.Admin, Roles.Admin);
        var adminOnB = b.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await adminOnB.GetAsync("/v1/admin/tenants")).StatusCode); // B has verified and cached it

        await RevokeAsync(world.Admin, id); // through node A

        // Inside what used to be B's 5-second cache window: refused, and it cannot mint a key that outlives it.
        Assert.Equal(HttpStatusCode.Unauthorized, (await adminOnB.PostAsJsonAsync("/v1/admin/keys", new { name = "backdoor", role = Roles.Admin })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await adminOnB.GetAsync("/v1/admin/tenants")).StatusCode);
        await using (var conn = new NpgsqlConnection(a.Database.Owner))
        {
            Assert.Equal(0, await conn.ExecuteScalarAsync<int>("select count(*) from api_keys where created_by_key_id = @id", new { id }));
        }

        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Fact]
    public async Task RevokedPlatformKeyScreeningOnASecondNodeIsRefusedAtTheNextPromptThoughItsPrincipalIsCached()
    {
        var a = await postgres.CreateAppAsync("keys3");
        var b = await postgres.CreateAppOnAsync(a.Database);
        var world = await a.NewWorldAsync();
        var (id, key) = await MintKeyAsync(world.Admin, Roles.Platform, world.TenantId);
        var platformOnB = b.ClientWithKey(key);
        for (var i = 0; i < 3; i++)
        {
            // Verified once, then answered from B's cached principal while the key-change number stands still.
            Assert.Equal(HttpStatusCode.OK, (await platformOnB.PostAsJsonAsync("/v1/screen/prompt", new { prompt = "a quiet lake at dawn" })).StatusCode);
        }

        await RevokeAsync(world.Admin, id); // through node A

        var refused = await platformOnB.PostAsJsonAsync("/v1/screen/prompt", new { prompt = "a quiet lake at dawn" });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        // The same key with different padding or in the other header is the same key: refused as well.
        using var other = new HttpRequestMessage(HttpMethod.Post, "/v1/screen/prompt") { Content = JsonContent.Create(new { prompt = "a quiet lake at dawn" }) };
        other.Headers.Add("X-Api-Key", " " + key + " ");
        using var anonymous = b.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(other)).StatusCode);
        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Fact]
    public async Task KeysOfTwoTenantsOnOneNodeKeepTheirOwnPrincipals()
    {
        var app = await postgres.SharedAppAsync();
        var first = await app.NewWorldAsync();
        var second = await app.NewWorldAsync();
        for (var i = 0; i < 2; i++)
        {
            var one = await first.ScreenAsync("a red kite over hills");
            var two = await second.ScreenAsync("a red kite over hills");
            Assert.Equal(first.TenantId, one["tenantId"]!.GetValue<Guid>());
            Assert.Equal(second.TenantId, two["tenantId"]!.GetValue<Guid>());
        }
    }

    [Fact]
    public async Task RevokingAKeyRevokesEveryKeyMintedFromItAtOnce()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (rootId, root) = await MintAsync(world.Admin, world.App, Roles.Admin);
        var (childId, child) = await MintAsync(root, world.App, Roles.Admin);
        var (platformId, platform) = await MintAsync(child, world.App, Roles.Platform, world.TenantId);
        Assert.Equal(HttpStatusCode.OK, (await platform.GetAsync("/v1/decisions")).StatusCode);

        var revoked = await RevokeAsync(world.Admin, rootId);

        Assert.Equal(new[] { rootId, childId, platformId }.Order(), revoked.Order());
        Assert.Equal(HttpStatusCode.Unauthorized, (await child.GetAsync("/v1/admin/tenants")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await platform.GetAsync("/v1/decisions")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await world.Admin.GetAsync("/v1/admin/tenants")).StatusCode); // the revoker is untouched
    }

    [Fact]
    public async Task RevokingWithoutCascadeLeavesKeysMintedBeforeTheRevocationWorking()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (rootId, root) = await MintAsync(world.Admin, world.App, Roles.Admin);
        var (_, platform) = await MintAsync(root, world.App, Roles.Platform, world.TenantId);

        var revoked = await RevokeAsync(world.Admin, rootId, cascade: false);

        Assert.Equal([rootId], revoked);
        Assert.Equal(HttpStatusCode.Unauthorized, (await root.GetAsync("/v1/admin/tenants")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await platform.GetAsync("/v1/decisions")).StatusCode);
    }

    [Fact]
    public async Task KeyMintedAtOrAfterItsMintersRevocationIsInvalidEvenWithoutCascade()
    {
        var app = await postgres.CreateAppAsync("mintrule");
        var world = await app.NewWorldAsync();
        var (minterId, _) = await MintAsync(world.Admin, app, Roles.Admin);
        await RevokeAsync(world.Admin, minterId, cascade: false);
        var before = await app.CreateKeyAsync(Roles.Auditor);
        var at = await app.CreateKeyAsync(Roles.Auditor);
        var after = await app.CreateKeyAsync(Roles.Auditor);

        // Forge, as the database owner, keys that claim the revoked key minted them just before, exactly at
        // and just after its revocation: what a mint racing the revocation would have left behind.
        await using (var conn = new NpgsqlConnection(app.Database.Owner))
        {
            await conn.ExecuteAsync("alter table api_keys disable trigger api_keys_guard");
            foreach (var (key, offset) in new[] { (before, "-1 second"), (at, "0 seconds"), (after, "1 millisecond") })
            {
                await conn.ExecuteAsync(
                    """
                    update api_keys set created_by_key_id = @minterId,
                        created_at = (select revoked_at from api_keys where id = @minterId) + @offset::interval
                    where prefix = @prefix
                    """,
                    new { minterId, offset, prefix = key.Split('_')[1] });
            }

            await conn.ExecuteAsync("alter table api_keys enable trigger api_keys_guard");
        }

        Assert.Equal(HttpStatusCode.OK, (await app.ClientWithKey(before).GetAsync("/v1/decisions")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWithKey(at).GetAsync("/v1/decisions")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWithKey(after).GetAsync("/v1/decisions")).StatusCode);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task MintsRacingARevocationLeaveNoWorkingKeyBehind()
    {
        var a = await postgres.CreateAppAsync("mintrace");
        var b = await postgres.CreateAppOnAsync(a.Database);
        var world = await a.NewWorldAsync();
        var (id, key) = await MintKeyAsync(world.Admin, Roles.Admin);
        var onA = a.ClientWithKey(key);
        var onB = b.ClientWithKey(key);

        var mints = Enumerable.Range(0, 24).Select(i =>
            (i % 2 == 0 ? onA : onB).PostAsJsonAsync("/v1/admin/keys", new { name = $"racer {i}", role = Roles.Admin })).ToList();
        var revoke = world.Admin.DeleteAsync($"/v1/admin/keys/{id}");
        var answers = await Task.WhenAll(mints.Append(revoke));

        Assert.Equal(HttpStatusCode.OK, answers[^1].StatusCode);
        foreach (var mint in answers[..^1])
        {
            Assert.Contains(mint.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Unauthorized });
            if (mint.StatusCode == HttpStatusCode.Created)
            {
                var minted = (await World.Json(mint))["key"]!.GetValue<string>();
                Assert.Equal(HttpStatusCode.Unauthorized, (await a.ClientWithKey(minted).GetAsync("/v1/admin/tenants")).StatusCode);
                Assert.Equal(HttpStatusCode.Unauthorized, (await b.ClientWithKey(minted).GetAsync("/v1/admin/tenants")).StatusCode);
            }
        }

        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Fact]
    public async Task RevokingAnUnknownKeyIsNotFound()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.Admin.DeleteAsync($"/v1/admin/keys/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<(Guid Id, HttpClient Client)> MintAsync(HttpClient minter, ComplianceApp app, string role, Guid? tenantId = null)
    {
        var (id, key) = await MintKeyAsync(minter, role, tenantId);
        return (id, app.ClientWithKey(key));
    }

    private static async Task<(Guid Id, string Key)> MintKeyAsync(HttpClient minter, string role, Guid? tenantId = null)
    {
        var response = await minter.PostAsJsonAsync("/v1/admin/keys", new { name = "minted " + role, role, tenantId });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await World.Json(response);
        return (created["id"]!.GetValue<Guid>(), created["key"]!.GetValue<string>());
    }

    private static async Task<Guid[]> RevokeAsync(HttpClient admin, Guid id, bool cascade = true)
    {
        var response = await admin.DeleteAsync($"/v1/admin/keys/{id}" + (cascade ? "" : "?cascade=false"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await World.Json(response))["revokedKeyIds"]!.AsArray().Select(i => i!.GetValue<Guid>()).ToArray();
    }
}
