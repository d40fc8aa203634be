using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Names;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Classifiers.Text;
using Compliance.Storage.Migrations;
using Dapper;
using Npgsql;

namespace Compliance.Api.Tests;

/// <summary>Names are owned, not claimed: a name or handle (in any spelling the matcher confuses with it) belongs to the first owner who registers it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class NameOwnershipTests(PostgresFixture postgres) : PostgresTests
{
    private sealed record Person(Guid ProfileId, string Name, string Handle, HttpClient Owner);

    private static string Suffix() => Guid.NewGuid().ToString("N")[..6];

    private static async Task<Person> PersonAsync(World world, string baseName)
    {
        var name = $"{baseName} {Suffix()}";
        var created = await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = name });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await World.Json(created))["id"]!.GetValue<Guid>();
        var owner = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: id));
        var handle = "@" + name.Replace(' ', '_').ToLowerInvariant();
        var update = await owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = name, handles = new[] { handle } });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        return new Person(id, name, handle, owner);
    }

    private static async Task<(Guid Id, HttpClient Client)> RightsHolderAsync(World world)
    {
        var created = await world.Admin.PostAsJsonAsync("/v1/admin/rights-holders", new { name = "Extra studio " + Suffix() });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await World.Json(created))["id"]!.GetValue<Guid>();
        return (id, world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.RightsHolder, rightsHolderId: id)));
    }

    private static async Task<JsonObject> ScreenAsync(World world, string prompt, string account = "viewer-1")
    {
        var response = await world.Platform.PostAsJsonAsync("/v1/screen/prompt", new { prompt, account });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await World.Json(response);
    }

    private static Guid[] MatchedEntities(JsonObject decision) =>
        [.. decision["reasons"]!.AsArray().Select(r => r!["signal"]!["entity"]!["id"]!.GetValue<Guid>()).Distinct()];

    /// <summary>Asserts a 409 problem that names the caller's spelling and says nothing of the owner it collided with.</summary>
    private static async Task AssertOwnedElsewhereAsync(HttpResponseMessage response, string spelling, params string[] withheld)
    {
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("Name already registered.", body["title"]!.GetValue<string>());
        Assert.Equal(spelling, body["name"]!.GetValue<string>());
        Assert.Equal(NameKeys.Of(spelling), body["matchingKey"]!.GetValue<string>());
        foreach (var secret in withheld)
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void MatchingKeyFoldsEverySpellingTheMatcherConfusesAndNothingElse()
    {
        var key = NameKeys.Of("Captain Comet");
        Assert.All(["captain comet", "CAPTAIN-COMET", "Captain C0met", "C\u0430ptain Com\u0435t", "C.a.p.t.a.i.n Comet", "Captain\u200BComet"],
            spelling => Assert.Equal(key, NameKeys.Of(spelling)));
        Assert.NotEqual(key, NameKeys.Of("Captain Comets"));
        Assert.Equal(NameKeys.Of("adaquill"), NameKeys.Of("@AdaQuill"));
        Assert.Equal(NameKeys.Of("bob_the_builder"), NameKeys.Of("@Bob.The.Builder"));
        Assert.False(NameKeys.IsMatchable("... --"));

        // The key is exactly what the matcher compares: a catalog of the one spelling finds the other.
        var matcher = NameMatcher.Build([new NamedEntity(EntityTypes.Character, Guid.NewGuid(), null, "Captain Comet", [], [])]);
        Assert.Single(matcher.Find("a poster of C\u0430ptain C0met"));
    }

    [Fact]
    public async Task SquatterCannotTakeAnotherPersonsNameOrHandleAndTheVictimsConsentStillApplies()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var victim = await PersonAsync(world, "Odalys Brightwater");
        var consent = await victim.Owner.PostAsJsonAsync("/v1/likeness/consent", new { mode = "tenant", allowedTenants = new[] { world.TenantId } });
        Assert.Equal(HttpStatusCode.Created, consent.StatusCode);
        var squatter = await PersonAsync(world, "Perpetua Hollins");

        var withheld = new[] { victim.ProfileId.ToString(), victim.Handle };
        await AssertOwnedElsewhereAsync(
            await squatter.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = victim.Name }), victim.Name, victim.ProfileId.ToString());
        var bareHandle = victim.Handle.TrimStart('@').ToUpperInvariant();
        await AssertOwnedElsewhereAsync(
            await squatter.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = squatter.Name, handles = new[] { bareHandle } }), bareHandle, withheld);
        var disguised = victim.Name.Replace("Odalys", "0d\u0430lys", StringComparison.Ordinal).Replace("Brightwater", "Bright-w4ter", StringComparison.Ordinal);
        await AssertOwnedElsewhereAsync(
            await squatter.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = squatter.Name, nameVariants = new[] { disguised } }), disguised, withheld);

        // Nothing of the squatter's attempts stuck, and the victim's own consent still decides.
        Assert.Equal(squatter.Name, (await squatter.Owner.GetFromJsonAsync<JsonObject>("/v1/likeness/profile"))!["displayName"]!.GetValue<string>());
        var byName = await ScreenAsync(world, $"{victim.Name} waves from a balcony");
        Assert.Equal("allow", byName["outcome"]!.GetValue<string>());
        Assert.Equal([victim.ProfileId], MatchedEntities(byName));
        Assert.Equal("allow", (await ScreenAsync(world, $"a vlog in the style of {victim.Handle}"))["outcome"]!.GetValue<string>());

        var feed = await World.Json(await squatter.Owner.GetAsync("/v1/likeness/decisions"));
        Assert.Empty(feed["items"]!.AsArray());
        var victimFeed = await World.Json(await victim.Owner.GetAsync("/v1/likeness/decisions"));
        Assert.Equal(2, victimFeed["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task AnotherHoldersLicensedCharacterNameIsRefusedInAnySpellingAndAsAnAlias()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (licensed, name) = await world.CharacterAsync("Sable Voyager");
        await world.GrantAsync(licensed, new { kind = "allow" });
        var holders = (await world.Admin.GetFromJsonAsync<JsonArray>("/v1/admin/rights-holders"))!;
        var holderName = holders.Single(h => h!["id"]!.GetValue<Guid>() == world.RightsHolderId)!["name"]!.GetValue<string>();
        var withheld = new[] { world.RightsHolderId.ToString(), licensed.ToString(), holderName };

        await AssertOwnedElsewhereAsync(await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = name }), name, withheld);
        var disguised = name.Replace("Sable", "S\u0430bl3", StringComparison.Ordinal).Replace("Voyager", "V0y-ager", StringComparison.Ordinal);
        await AssertOwnedElsewhereAsync(await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = disguised }), disguised, withheld);
        var shouted = name.ToUpperInvariant();
        await AssertOwnedElsewhereAsync(
            await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = "Decoy " + Suffix(), aliases = new[] { shouted } }), shouted, withheld);
        var (mine, _) = await world.CharacterAsync("Harmless Heron", owner: world.OtherRightsHolder);
        await AssertOwnedElsewhereAsync(
            await world.OtherRightsHolder.PutAsJsonAsync($"/v1/characters/{mine}", new { canonicalName = "Harmless Heron " + Suffix(), aliases = new[] { disguised } }), disguised, withheld);

        var decision = await world.ScreenAsync($"{name} sails past the moon");
        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        Assert.Equal([licensed], MatchedEntities(decision));
        Assert.Single((await world.OtherRightsHolder.GetFromJsonAsync<JsonArray>("/v1/characters"))!);
    }

    [Fact]
    public async Task APersonAndACharacterCannotTakeEachOthersNames()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Isolde Farrington");
        var (_, character) = await world.CharacterAsync("Gravel Wyrm");

        await AssertOwnedElsewhereAsync(
            await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = "Isolde " + Suffix(), aliases = new[] { person.Name } }), person.Name, person.ProfileId.ToString());
        await AssertOwnedElsewhereAsync(
            await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = person.Handle }), person.Handle, person.ProfileId.ToString());
        await AssertOwnedElsewhereAsync(
            await person.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = person.Name, nameVariants = new[] { character } }), character, world.RightsHolderId.ToString());
        await AssertOwnedElsewhereAsync(
            await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = character }), character, world.RightsHolderId.ToString());
    }

    [Fact]
    public async Task APersonsOwnPublicFigureEntryMayUseTheirNameButAnUnlinkedOneMayNot()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Evangeline Stroud");

        var unlinked = await world.Admin.PostAsJsonAsync("/v1/admin/public-figures", new { name = person.Name });
        await AssertOwnedElsewhereAsync(unlinked, person.Name, person.ProfileId.ToString());
        var linked = await world.Admin.PostAsJsonAsync("/v1/admin/public-figures", new { name = person.Name, aliases = new[] { person.Handle }, profileId = person.ProfileId });
        Assert.Equal(HttpStatusCode.Created, linked.StatusCode);
    }

    [Fact]
    public async Task NamesWithNothingToMatchAreRejected()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var person = await PersonAsync(world, "Barnaby Whitlock");

        Assert.Equal(HttpStatusCode.BadRequest, (await person.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = person.Name, handles = new[] { "@" } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await person.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = "-- . --" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.RightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = "Pip " + Suffix(), aliases = new[] { "..." } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "\u200B\u200B" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Admin.GetAsync("/v1/admin/names?name=...")).StatusCode);
    }

    [Fact]
    public async Task NameAdminEndpointsAreInTheOpenApiDocument()
    {
        var doc = await (await postgres.SharedAppAsync()).CreateClient().GetStringAsync("/openapi/v1.json");
        foreach (var path in new[] { "/v1/admin/name-shares", "/v1/admin/names", "/v1/admin/name-flags" })
        {
            Assert.Contains($"\"{path}\"", doc, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AdminApprovedShareLetsTheSecondOwnerRegisterAndThePolicySeesBoth()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (first, name) = await world.CharacterAsync("Copper Marten");
        await world.GrantAsync(first, new { kind = "allow" });
        Assert.Equal(HttpStatusCode.Conflict, (await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = name })).StatusCode);

        var approval = await world.Admin.PostAsJsonAsync("/v1/admin/name-shares", new
        {
            name = name.ToLowerInvariant(),
            owners = new[] { new { kind = "rights_holder", id = world.RightsHolderId }, new { kind = "rights_holder", id = world.OtherRightsHolderId } },
            reason = "Two unrelated characters from different decades share this name.",
        });
        Assert.Equal(HttpStatusCode.Created, approval.StatusCode);
        var share = await World.Json(approval);
        Assert.Equal(NameKeys.Of(name), share["matchingKey"]!.GetValue<string>());
        Assert.Equal(2, share["owners"]!.AsArray().Count);

        var second = await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = name, franchise = "Other Franchise" });
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var secondId = (await World.Json(second))["id"]!.GetValue<Guid>();

        // The matcher cannot tell which one a prompt means, so both are signals and each needs its own grant.
        var decision = await world.ScreenAsync($"{name} climbs a tree");
        Assert.Equal(new[] { first, secondId }.Order(), MatchedEntities(decision).Order());
        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var grant = await world.OtherRightsHolder.PostAsJsonAsync("/v1/grants", new { characterId = secondId, tenantId = world.TenantId, kind = "allow" });
        Assert.Equal(HttpStatusCode.Created, grant.StatusCode);
        Assert.Equal("allow", (await world.ScreenAsync($"{name} climbs a tree"))["outcome"]!.GetValue<string>());

        var lookup = await World.Json(await world.Admin.GetAsync($"/v1/admin/names?name={Uri.EscapeDataString(name)}"));
        Assert.Equal(2, lookup["claims"]!.AsArray().Count);
        Assert.Equal(share["id"]!.GetValue<Guid>(), lookup["shareId"]!.GetValue<Guid>());

        // The share covers the owners it lists, nobody else.
        var (_, third) = await RightsHolderAsync(world);
        Assert.Equal(HttpStatusCode.Conflict, (await third.PostAsJsonAsync("/v1/characters", new { canonicalName = name })).StatusCode);
    }

    [Fact]
    public async Task OnlyAdminsApproveSharedNamesAndOnlyWithAValidRequest()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (_, name) = await world.CharacterAsync("Lantern Moth");
        var person = await PersonAsync(world, "Wilhelmina Crowe");
        var body = new
        {
            name,
            owners = new[] { new { kind = "rights_holder", id = world.RightsHolderId }, new { kind = "rights_holder", id = world.OtherRightsHolderId } },
            reason = "homonyms",
        };
        foreach (var caller in new[] { world.RightsHolder, world.OtherRightsHolder, world.Platform, world.Auditor, person.Owner })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await caller.PostAsJsonAsync("/v1/admin/name-shares", body)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await caller.GetAsync($"/v1/admin/names?name={Uri.EscapeDataString(name)}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Conflict, (await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = name })).StatusCode);

        object[] bad =
        [
            new { name, owners = new[] { new { kind = "rights_holder", id = world.OtherRightsHolderId } }, reason = "one owner" },
            new { name, owners = body.owners },
            new { name, owners = new[] { new { kind = "studio", id = world.RightsHolderId }, new { kind = "rights_holder", id = world.OtherRightsHolderId } }, reason = "kind" },
            new { name = "... --", owners = body.owners, reason = "nothing to match" },
        ];
        foreach (var request in bad)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await world.Admin.PostAsJsonAsync("/v1/admin/name-shares", request)).StatusCode);
        }

        var ghost = new { name, owners = new[] { new { kind = "rights_holder", id = world.RightsHolderId }, new { kind = "rights_holder", id = Guid.NewGuid() } }, reason = "ghost" };
        Assert.Equal(HttpStatusCode.NotFound, (await world.Admin.PostAsJsonAsync("/v1/admin/name-shares", ghost)).StatusCode);
        // A share never takes a name from the owner that uses it: that owner must be listed.
        var (extra, _) = await RightsHolderAsync(world);
        var without = new { name, owners = new[] { new { kind = "rights_holder", id = world.OtherRightsHolderId }, new { kind = "rights_holder", id = extra } }, reason = "not theirs" };
        Assert.Equal(HttpStatusCode.Conflict, (await world.Admin.PostAsJsonAsync("/v1/admin/name-shares", without)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = name })).StatusCode);
    }

    [Fact]
    public async Task ConcurrentClaimsOfOneNameHaveExactlyOneWinner()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var name = $"Quorra Lindqvist {Suffix()}";
        var holders = new List<HttpClient>();
        var people = new List<Person>();
        for (var i = 0; i < 5; i++)
        {
            holders.Add((await RightsHolderAsync(world)).Client);
            people.Add(await PersonAsync(world, "Contender"));
        }

        // Every one of them asks for the same name (in different spellings) at the same moment.
        var attempts = holders.Select((h, i) => h.PostAsJsonAsync("/v1/characters", new { canonicalName = i % 2 == 0 ? name : name.ToUpperInvariant() }))
            .Concat(people.Select(p => p.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = p.Name, handles = new[] { name.Replace(' ', '_') } })))
            .ToArray();
        var statuses = (await Task.WhenAll(attempts)).Select(r => r.StatusCode).ToArray();

        Assert.Single(statuses, s => s is HttpStatusCode.Created or HttpStatusCode.OK);
        Assert.Equal(statuses.Length - 1, statuses.Count(s => s == HttpStatusCode.Conflict));
        var lookup = await World.Json(await world.Admin.GetAsync($"/v1/admin/names?name={Uri.EscapeDataString(name)}"));
        Assert.Single(lookup["claims"]!.AsArray());
        Assert.Single(MatchedEntities(await ScreenAsync(world, $"{name} at the harbour")));
    }

    [Fact]
    public async Task RenamingOrRemovingFreesTheOldNameForAnotherOwner()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (character, oldName) = await world.CharacterAsync("Tinder Fox");
        var renamed = await world.RightsHolder.PutAsJsonAsync($"/v1/characters/{character}", new { canonicalName = "Tinder Vixen " + Suffix() });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var taken = await world.OtherRightsHolder.PostAsJsonAsync("/v1/characters", new { canonicalName = oldName });
        Assert.Equal(HttpStatusCode.Created, taken.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await world.RightsHolder.PutAsJsonAsync($"/v1/characters/{character}", new { canonicalName = oldName })).StatusCode);
        Assert.Equal([(await World.Json(taken))["id"]!.GetValue<Guid>()], MatchedEntities(await world.ScreenAsync($"{oldName} naps")));

        var first = await PersonAsync(world, "Ottilie Marchbank");
        var second = await PersonAsync(world, "Leopold Fairclough");
        Assert.Equal(HttpStatusCode.OK, (await first.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = "Ottilie M. " + Suffix() })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = second.Name, handles = new[] { first.Handle } })).StatusCode);

        var figureName = $"Chancellor Ambrose Vane {Suffix()}";
        var figure = await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/public-figures", new { name = figureName }));
        Assert.Equal(HttpStatusCode.Conflict, (await second.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = figureName })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await world.Admin.DeleteAsync($"/v1/admin/public-figures/{figure["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.Owner.PutAsJsonAsync("/v1/likeness/profile", new { displayName = figureName })).StatusCode);
    }

    [Fact]
    public async Task OwnersFeedListsOnlyDecisionsAboutThemWithOnlyTheirOwnIds()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var me = await PersonAsync(world, "Rosamund Thackeray");
        var other = await PersonAsync(world, "Cornelius Abernathy");
        var (character, name) = await world.CharacterAsync("Velvet Golem");
        var together = await ScreenAsync(world, $"{me.Name} and {other.Name} meet {name}");
        Assert.Equal(3, MatchedEntities(together).Length);
        await ScreenAsync(world, $"{other.Name} alone");

        var mine = Assert.Single((await World.Json(await me.Owner.GetAsync("/v1/likeness/decisions")))["items"]!.AsArray())!;
        Assert.Equal(together["decisionId"]!.GetValue<Guid>(), mine["decisionId"]!.GetValue<Guid>());
        Assert.Equal([me.ProfileId], mine["entityIds"]!.AsArray().Select(i => i!.GetValue<Guid>()));
        var theirs = (await World.Json(await other.Owner.GetAsync("/v1/likeness/decisions")))["items"]!.AsArray();
        Assert.Equal(2, theirs.Count);
        Assert.All(theirs, d => Assert.Equal([other.ProfileId], d!["entityIds"]!.AsArray().Select(i => i!.GetValue<Guid>())));
        Assert.DoesNotContain(character.ToString(), await (await me.Owner.GetAsync("/v1/likeness/decisions")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamesStoredBeforeOwnershipAreClaimedEarliestFirstAndLaterDuplicatesAreFlaggedNotFatal()
    {
        // A live database at migration 0005 that already holds duplicate names.
        var db = await postgres.NewDatabaseAsync("names_backfill");
        var (early, late) = (Guid.NewGuid(), Guid.NewGuid());
        var (earlyChar, lateChar, ownDup) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var (earlyPerson, latePerson) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var owner = NpgsqlDataSource.Create(db.Owner))
        await using (var conn = await owner.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("create table schema_migrations (version int primary key, name text not null, sha256 text not null, applied_at timestamptz not null default now())");
            foreach (var m in Migrator.All.Where(m => m.Version <= 5))
            {
                await conn.ExecuteAsync(m.Sql);
                await conn.ExecuteAsync("insert into schema_migrations (version, name, sha256) values (@Version, @Name, @Sha256)", m);
            }

            await conn.ExecuteAsync(
                """
                insert into rights_holders (id, name) values (@early, 'Early Studio'), (@late, 'Late Studio');
                insert into characters (id, rights_holder_id, canonical_name, aliases, created_at) values
                  (@earlyChar, @early, 'Marlow Quince', array['The Quince'], now() - interval '3 days'),
                  (@lateChar, @late, 'Marl0w-Quince', array['Quincey Jr'], now() - interval '2 days'),
                  (@ownDup, @early, 'Quince the Elder', array['THE QUINCE'], now() - interval '1 day');
                insert into likeness_profiles (id, display_name, handles, created_at) values
                  (@earlyPerson, 'Juniper Ashcombe', array['@juniper'], now() - interval '3 days'),
                  (@latePerson, 'JUNIPER ASHCOMBE', array['@ashcombe_j'], now() - interval '1 day');
                """,
                new { early, late, earlyChar, lateChar, ownDup, earlyPerson, latePerson });
        }

        var app = await postgres.CreateAppOnAsync(db);
        try
        {
            var world = await app.NewWorldAsync();
            var flags = (await world.Admin.GetFromJsonAsync<JsonArray>("/v1/admin/name-flags"))!;
            var flagged = flags.Select(f => (f!["entityId"]!.GetValue<Guid>(), f["name"]!.GetValue<string>())).ToHashSet();
            Assert.Equal(3, flagged.Count);
            Assert.Contains((lateChar, "Marl0w-Quince"), flagged);
            Assert.Contains((ownDup, "THE QUINCE"), flagged);
            Assert.Contains((latePerson, "JUNIPER ASHCOMBE"), flagged);

            // The earliest keeps each name; the later entities keep their other names.
            Assert.Equal([earlyChar], MatchedEntities(await world.ScreenAsync("Marlow Quince waves")));
            Assert.Equal([earlyChar], MatchedEntities(await world.ScreenAsync("The Quince waves")));
            Assert.Equal([lateChar], MatchedEntities(await world.ScreenAsync("Quincey Jr waves")));
            Assert.Equal([earlyPerson], MatchedEntities(await ScreenAsync(world, "Juniper Ashcombe waves")));
            Assert.Equal([latePerson], MatchedEntities(await ScreenAsync(world, "@ashcombe_j waves")));

            // An admin's share gives the flagged duplicate its name back: now both are matched.
            var approval = await world.Admin.PostAsJsonAsync("/v1/admin/name-shares", new
            {
                name = "Marlow Quince",
                owners = new[] { new { kind = "rights_holder", id = early }, new { kind = "rights_holder", id = late } },
                reason = "Both studios' characters predate name ownership.",
            });
            Assert.Equal(HttpStatusCode.Created, approval.StatusCode);
            Assert.Equal(new[] { earlyChar, lateChar }.Order(), MatchedEntities(await world.ScreenAsync("Marlow Quince waves")).Order());
            Assert.DoesNotContain((await world.Admin.GetFromJsonAsync<JsonArray>("/v1/admin/name-flags"))!, f => f!["entityId"]!.GetValue<Guid>() == lateChar);

            // Another node starting on the same database claims nothing twice and flags nothing new.
            await using var again = await postgres.CreateAppOnAsync(db);
            var juniper = await World.Json(await world.Admin.GetAsync("/v1/admin/names?name=Juniper%20Ashcombe"));
            Assert.Equal(earlyPerson, Assert.Single(juniper["claims"]!.AsArray())!["entityId"]!.GetValue<Guid>());
            Assert.Equal(latePerson, Assert.Single(juniper["flags"]!.AsArray())!["entityId"]!.GetValue<Guid>());
            Assert.Equal(2, (await world.Admin.GetFromJsonAsync<JsonArray>("/v1/admin/name-flags"))!.Count);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
