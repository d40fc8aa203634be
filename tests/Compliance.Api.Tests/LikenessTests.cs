using System.Net;
using System.Net.Http.Json;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class LikenessTests(PostgresFixture postgres) : PostgresTests
{
    private sealed record Person(Guid ProfileId, string Name, string Handle, HttpClient Owner);

    private static async Task<Person> PersonAsync(World world, string baseName)
    {
        var name = $"{baseName} {Guid.NewGuid().ToString("N")[..5]}";
        var profile = await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = name }));
        var id = profile["id"]!.GetValue<Guid>();
        var owner = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: id));
        var handle = "@" + name.Replace(' ', '_').ToLowerInvariant();
        var update = await owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = name, handles = new[] { handle }, nameVariants = Array.Empty<string>() });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        return new Person(id, name, handle, owner);
    }

    private static async Task<string> OutcomeAsync(World world, string prompt, string? account, HttpClient? platform = null)
    {
        var response = await (platform ?? world.Platform).PostAsJsonAsync("/v1/screen/prompt", new { prompt, account });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await World.Json(response))["outcome"]!.GetValue<string>();
    }

    [Fact]
    public async Task NamingAPersonWithoutConsentIsBlocked()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Marguerite Okonkwo");

        var response = await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = $"{person.Name} dancing on a beach", account = "user-1" });
        var decision = await World.Json(response);

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var reason = decision["reasons"]![0]!;
        Assert.Equal("likeness-without-consent-blocks", reason["rule"]!.GetValue<string>());
        Assert.Equal("likeness", reason["signal"]!["kind"]!.GetValue<string>());
        Assert.Equal(person.ProfileId, reason["signal"]!["entity"]!["id"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task RequestWithoutAnAccountCannotUseALikenessAndSaysWhy()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Theodora Vasquez");
        await person.Owner.PostAsJsonAsync("/v1/likeness/consent", new { mode = "tenant", allowedTenants = new[] { world.TenantId } });

        var decision = await World.Json(await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = $"{person.Name} waves" }));

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.Equal("likeness-needs-requesting-account", decision["reasons"]![0]!["rule"]!.GetValue<string>());
    }

    [Fact]
    public async Task HandlesAreMatchedToo()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Rosalind Achterberg");
        Assert.Equal("block", await OutcomeAsync(world, $"a vlog in the style of {person.Handle}", "user-1"));
    }

    [Fact]
    public async Task APersonsOwnAccountMayUseTheirLikeness()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Evander Kowalczyk");
        await person.Owner.PutAsJsonAsync("/v1/likeness/profile",
            new { displayName = person.Name, handles = new[] { person.Handle }, ownAccounts = new[] { new { tenantId = world.TenantId, account = "evander" } } });

        Assert.Equal("allow", await OutcomeAsync(world, $"{person.Name} surfing", "evander"));
        Assert.Equal("block", await OutcomeAsync(world, $"{person.Name} surfing", "someone-else"));
    }

    [Fact]
    public async Task AllowlistConsentCoversOnlyTheListedAccounts()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Philippa Moreau");
        var consent = await person.Owner.PostAsJsonAsync("/v1/likeness/consent",
            new { mode = "allowlist", allowedAccounts = new[] { new { tenantId = world.TenantId, account = "friend" } } });
        Assert.Equal(HttpStatusCode.Created, consent.StatusCode);

        Assert.Equal("allow", await OutcomeAsync(world, $"{person.Name} at a party", "friend"));
        Assert.Equal("block", await OutcomeAsync(world, $"{person.Name} at a party", "stranger"));
        Assert.Equal("block", await OutcomeAsync(world, $"{person.Name} at a party", "friend", world.OtherPlatform));
    }

    [Fact]
    public async Task TenantConsentCoversEveryoneOnThatTenantAndRevocationIsImmediate()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Casimir Lindqvist");
        await person.Owner.PostAsJsonAsync("/v1/likeness/consent", new { mode = "tenant", allowedTenants = new[] { world.TenantId } });
        Assert.Equal("allow", await OutcomeAsync(world, $"{person.Name} cooking pasta", "anyone"));
        Assert.Equal("block", await OutcomeAsync(world, $"{person.Name} cooking pasta", "anyone", world.OtherPlatform));

        var revoke = await person.Owner.PostAsJsonAsync("/v1/likeness/consent/revoke", new { reason = "changed my mind" });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);

        Assert.Equal("block", await OutcomeAsync(world, $"{person.Name} cooking pasta", "anyone"));
        var history = await person.Owner.GetFromJsonAsync<List<Dictionary<string, object>>>("/v1/likeness/consent");
        Assert.Single(history!);
        Assert.NotNull(history![0]["revokedAt"]);
    }

    [Fact]
    public async Task ConsentChangedInTheDatabaseAppliesAtTheNextRequestOnANodeThatCachedIt()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var consenting = await PersonAsync(world, "Ottoline Brandvold");
        var unconsenting = await PersonAsync(world, "Ignatius Feldmann");
        var self = await PersonAsync(world, "Wilhelmina Oyelaran");
        await consenting.Owner.PostAsJsonAsync("/v1/likeness/consent", new { mode = "tenant", allowedTenants = new[] { world.TenantId } });
        await self.Owner.PutAsJsonAsync("/v1/likeness/profile",
            new { displayName = self.Name, handles = new[] { self.Handle }, ownAccounts = new[] { new { tenantId = world.TenantId, account = "wilhelmina" } } });
        // Each asked twice: the node has cached all three profiles (a consent, none, own accounts) under the current number.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("allow", await OutcomeAsync(world, $"{consenting.Name} rowing a boat", "anyone"));
            Assert.Equal("block", await OutcomeAsync(world, $"{unconsenting.Name} rowing a boat", "anyone"));
            Assert.Equal("allow", await OutcomeAsync(world, $"{self.Name} rowing a boat", "wilhelmina"));
        }

        // Changed behind the service's back (an operator's SQL, another deployment): the tables' triggers move the number.
        await using (var db = NpgsqlDataSource.Create(world.App.Database.Owner))
        await using (var conn = await db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("update likeness_consents set revoked_at = now(), revocation_reason = 'by hand' where profile_id = @id", new { id = consenting.ProfileId });
            await conn.ExecuteAsync(
                "insert into likeness_consents (id, profile_id, mode, allowed_tenants) values (gen_random_uuid(), @id, 'tenant', array[@tenant])",
                new { id = unconsenting.ProfileId, tenant = world.TenantId });
            await conn.ExecuteAsync("update likeness_profiles set own_accounts = '{}' where id = @id", new { id = self.ProfileId });
        }

        Assert.Equal("block", await OutcomeAsync(world, $"{consenting.Name} rowing a boat", "anyone"));
        Assert.Equal("allow", await OutcomeAsync(world, $"{unconsenting.Name} rowing a boat", "anyone"));
        Assert.Equal("block", await OutcomeAsync(world, $"{self.Name} rowing a boat", "wilhelmina"));
    }

    [Fact]
    public async Task PublicFigureIsBlockedUntilTheirOwnConsentIsOnRecord()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var figureName = $"Senator Ignatius Fairweather {Guid.NewGuid().ToString("N")[..4]}";
        var added = await world.Admin.PostAsJsonAsync("/v1/admin/public-figures", new { name = figureName });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var decision = await World.Json(await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = $"{figureName} giving a speech", account = "u" }));
        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.Equal("public-figure-without-consent-blocks", decision["reasons"]![0]!["rule"]!.GetValue<string>());

        // Linked to a registered profile, the person's own consent applies.
        var person = await PersonAsync(world, "Ignatius Fairweather");
        var figure = await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/public-figures", new { name = "Iggy " + Guid.NewGuid().ToString("N")[..4], profileId = person.ProfileId }));
        await person.Owner.PostAsJsonAsync("/v1/likeness/consent", new { mode = "tenant", allowedTenants = new[] { world.TenantId } });
        Assert.Equal("allow", await OutcomeAsync(world, $"{figure["name"]} giving a speech", "u"));
    }

    [Fact]
    public async Task OwnerSeesEveryDecisionAboutThemAndNothingElse()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var me = await PersonAsync(world, "Augustina Pemberton");
        var other = await PersonAsync(world, "Bartholomew Quince");
        var blocked = await World.Json(await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = $"{me.Name} singing", account = "u" }));
        await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = $"{other.Name} singing", account = "u" });
        await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt = "a quiet forest", account = "u" });

        var page = await World.Json(await me.Owner.GetAsync("/v1/likeness/decisions"));

        var item = Assert.Single(page["items"]!.AsArray());
        Assert.Equal(blocked["decisionId"]!.GetValue<Guid>(), item!["decisionId"]!.GetValue<Guid>());
        Assert.Equal(HttpStatusCode.Forbidden, (await me.Owner.GetAsync("/v1/decisions")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await me.Owner.GetAsync("/v1/characters")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.GetAsync("/v1/likeness/profile")).StatusCode);
    }

    [Fact]
    public async Task BadConsentAndProfileInputIsRejected()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Cordelia Nakamura");
        object[] badConsents =
        [
            new { mode = "allowlist" },
            new { mode = "tenant" },
            new { mode = "everyone" },
            new { mode = "only_me", expiresAt = DateTimeOffset.UtcNow.AddDays(-1) },
            new { mode = "allowlist", allowedAccounts = new[] { new { tenantId = Guid.Empty, account = "" } } },
        ];
        foreach (var body in badConsents)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await person.Owner.PostAsJsonAsync("/v1/likeness/consent", body)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await person.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = "x", handles = new[] { " " } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await person.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = "" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await person.Owner.PostAsJsonAsync("/v1/likeness/consent/revoke", new { reason = "none yet" })).StatusCode);
    }
}
