using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace Compliance.Api.Tests;

/// <summary>The walls: every role is kept out of what is not its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AccessTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task RequestsWithoutAKeyAreUnauthorized()
    {
        var app = await postgres.SharedAppAsync();
        var anonymous = app.ClientWithKey(null);
        foreach (var path in new[] { "/v1/characters", "/v1/grants", "/v1/decisions", "/v1/decisions/verify", "/v1/admin/tenants" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var screen = await anonymous.PostAsJsonAsync("/v1/screen/prompt", new { prompt = "hello" });
        Assert.Equal(HttpStatusCode.Unauthorized, screen.StatusCode);
    }

    [Fact]
    public async Task UnknownOrForgedKeysAreUnauthorized()
    {
        var app = await postgres.SharedAppAsync();
        var real = await app.CreateKeyAsync(Roles.Auditor);
        var forged = real[..^4] + "AAAA";
        foreach (var key in new[] { "nonsense", "cmp_000000000000_" + new string('x', 43), forged })
        {
            var response = await app.ClientWithKey(key).GetAsync("/v1/decisions");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task RevokedKeyIsRejected()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var create = await world.Admin.PostAsJsonAsync("/v1/admin/keys", new { name = "temp", role = "auditor" });
        var created = await World.Json(create);
        var revoke = await world.Admin.DeleteAsync($"/v1/admin/keys/{created["id"]}");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);

        var response = await world.App.ClientWithKey(created["key"]!.GetValue<string>()).GetAsync("/v1/decisions");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task KeysAreStoredOnlyAsHashes()
    {
        var app = await postgres.SharedAppAsync();
        var key = await app.CreateKeyAsync(Roles.Auditor);
        var secret = key.Split('_')[2];
        await using var conn = new NpgsqlConnection(app.Database.Owner);
        var rows = await conn.QueryAsync<string>("select concat_ws(' ', prefix, name, encode(secret_sha256, 'escape'), encode(secret_sha256, 'hex')) from api_keys");
        Assert.DoesNotContain(rows, r => r.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EachRoleIsKeptOutOfOtherRolesEndpoints()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, _) = await world.CharacterAsync("Wall Tester");

        // Platforms cannot manage catalogs or grants, or administer.
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.GetAsync("/v1/characters")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.PostAsJsonAsync("/v1/grants", new { characterId = id, tenantId = world.TenantId, kind = "allow" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.GetAsync("/v1/admin/tenants")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.GetAsync("/v1/decisions/verify")).StatusCode);
        // Rights holders cannot screen or read the decision log.
        Assert.Equal(HttpStatusCode.Forbidden, (await world.RightsHolder.PostAsJsonAsync("/v1/screen/prompt", new { prompt = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.RightsHolder.GetAsync("/v1/decisions")).StatusCode);
        // Auditors read but never write.
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Auditor.PostAsJsonAsync("/v1/characters", new { canonicalName = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Auditor.PostAsJsonAsync("/v1/grants", new { characterId = id, tenantId = world.TenantId, kind = "allow" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Auditor.PostAsJsonAsync("/v1/screen/prompt", new { prompt = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Auditor.PostAsJsonAsync("/v1/admin/keys", new { name = "x", role = "admin" })).StatusCode);
    }

    [Fact]
    public async Task RightsHolderSeesAndChangesOnlyItsOwnCatalog()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (mine, _) = await world.CharacterAsync("Mine Only");
        var (theirs, _) = await world.CharacterAsync("Theirs Only", owner: world.OtherRightsHolder);

        var list = await world.RightsHolder.GetFromJsonAsync<List<Dictionary<string, object>>>("/v1/characters");
        Assert.Single(list!);
        Assert.Equal(HttpStatusCode.NotFound, (await world.RightsHolder.GetAsync($"/v1/characters/{theirs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await world.RightsHolder.PutAsJsonAsync($"/v1/characters/{theirs}", new { canonicalName = "Hijacked" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await world.RightsHolder.GetAsync($"/v1/characters/{mine}")).StatusCode);
    }

    [Fact]
    public async Task RightsHolderCannotGrantOrRevokeAnotherHoldersCharacter()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (theirs, _) = await world.CharacterAsync("Not Yours", owner: world.OtherRightsHolder);
        var response = await world.RightsHolder.PostAsJsonAsync("/v1/grants", new { characterId = theirs, tenantId = world.TenantId, kind = "allow" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

        var theirGrant = await World.Json(await world.OtherRightsHolder.PostAsJsonAsync("/v1/grants", new { characterId = theirs, tenantId = world.TenantId, kind = "allow" }));
        var revoke = await world.RightsHolder.PostAsJsonAsync($"/v1/grants/{theirGrant["id"]}/revoke", new { reason = "mine now" });
        Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
        var theirList = await world.RightsHolder.GetFromJsonAsync<List<Dictionary<string, object>>>($"/v1/grants?characterId={theirs}");
        Assert.Empty(theirList!);
    }

    [Fact]
    public async Task PlatformSeesOnlyItsOwnDecisions()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var mine = await world.ScreenAsync("a quiet lake");
        var theirs = await world.ScreenAsync("a busy street", world.OtherPlatform);

        var page = await World.Json(await world.Platform.GetAsync("/v1/decisions?limit=500"));
        var ids = page["items"]!.AsArray().Select(i => i!["decisionId"]!.GetValue<Guid>()).ToList();
        Assert.Contains(mine["decisionId"]!.GetValue<Guid>(), ids);
        Assert.DoesNotContain(theirs["decisionId"]!.GetValue<Guid>(), ids);
        Assert.All(page["items"]!.AsArray(), i => Assert.Equal(world.TenantId, i!["tenantId"]!.GetValue<Guid>()));

        Assert.Equal(HttpStatusCode.NotFound, (await world.Platform.GetAsync($"/v1/decisions/{theirs["decisionId"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.GetAsync($"/v1/decisions?tenantId={world.OtherTenantId}")).StatusCode);
    }

    [Fact]
    public async Task TenantScopedAuditorReadsOnlyThatTenant()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var auditor = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.Auditor, world.TenantId));
        var theirs = await world.ScreenAsync("a windmill", world.OtherPlatform);

        Assert.Equal(HttpStatusCode.NotFound, (await auditor.GetAsync($"/v1/decisions/{theirs["decisionId"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await world.Auditor.GetAsync($"/v1/decisions/{theirs["decisionId"]}")).StatusCode);
    }

    [Fact]
    public async Task AppDatabaseRoleCannotUpdateOrDeleteDecisions()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await world.ScreenAsync("a lighthouse");
        if (world.App.Database.App == world.App.Database.Owner)
        {
            return; // an external server given as one connection string has no separate app role to test
        }

        await using var conn = new NpgsqlConnection(world.App.Database.App);
        var update = await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync("update decisions set outcome = 'allow'"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, update.SqlState);
        var delete = await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync("delete from decisions"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, delete.SqlState);
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync("truncate decisions"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, truncate.SqlState);
    }
}
