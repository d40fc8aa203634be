using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Api.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace Compliance.Api.Tests;

/// <summary>Issue 10 through the API: characters found by their description, localised aliases, namesakes.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DescribedCharacterTests(PostgresFixture postgres) : PostgresTests
{
    private static async Task<(Guid Id, string Name)> CharacterAsync(World world, string baseName, object extra)
    {
        var name = $"{baseName} {Guid.NewGuid().ToString("N")[..6]}";
        var body = System.Text.Json.JsonSerializer.SerializeToNode(extra)!.AsObject();
        body["canonicalName"] = name;
        body["franchise"] = "Test Franchise";
        var response = await world.RightsHolder.PostAsJsonAsync("/v1/characters", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await World.Json(response))["id"]!.GetValue<Guid>(), name);
    }

    private static JsonNode? ReasonFor(JsonObject decision, Guid id) =>
        decision["reasons"]!.AsArray().FirstOrDefault(r => r!["signal"]?["entity"]?["id"]?.GetValue<Guid>() == id);

    [Fact]
    public async Task APromptThatDescribesAnUnlicensedCharacterIsBlockedWithTheWindowAsEvidence()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, _) = await CharacterAsync(world, "Captain Kelpwhisker", new
        {
            description = "A walrus submarine captain with a monocle, a kelp-green naval coat and a pipe that blows bubbles, who commands a coral-covered submarine.",
            examplePrompts = new[] { "a walrus with a monocle in a green naval coat commands a coral-covered submarine", "a walrus sea captain blowing bubbles from his pipe underwater" },
        });
        var prompt = "Opening shot: a quiet ocean at dawn. Then a monocled walrus in a green navy coat steers a submarine covered in coral, puffing bubbles from his pipe.";

        var decision = await world.ScreenAsync(prompt);

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        var reason = ReasonFor(decision, id)!;
        Assert.Equal("described-character-blocks", reason["rule"]!.GetValue<string>());
        var signal = reason["signal"]!;
        Assert.Equal("described_character", signal["kind"]!.GetValue<string>());
        Assert.Equal("descriptions-text", signal["classifier"]!.GetValue<string>());
        Assert.Contains("fusion:text-fusion/2", signal["modelVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        var evidence = signal["evidence"]!;
        Assert.Equal(evidence["matchedText"]!.GetValue<string>(), prompt.Substring(evidence["start"]!.GetValue<int>(), evidence["length"]!.GetValue<int>()));
        Assert.True(evidence["similarity"]!.GetValue<double>() >= 0.7);
    }

    [Fact]
    public async Task DistinctiveWordsAreEvidenceAndNeverBlockBelowTheSimilarityGate()
    {
        // ADR-046: a description's window is checked for the character's distinctive words (used by at most a tenth of
        // the catalog's characters). In the data set's 24-character catalog the theme prompt below has two of the shadow
        // cat's (cat, sleep); in this larger catalog "black" is distinctive too and it has three, as many as a real
        // description. That is why the lower gate for corroborated descriptions was withdrawn: both stay below block.
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (knight, _) = await CharacterAsync(world, "Nebula Paladin", new
        {
            description = "An armoured knight whose dark violet plate glows with swirling galaxies; she rides a winged horse of starlight and carries a lance of purple cosmic energy.",
            examplePrompts = new[] { "a knight in violet armour full of swirling galaxies rides a winged horse made of starlight", "a cosmic knight on a starlight pegasus above a nebula" },
        });
        var (cat, _) = await CharacterAsync(world, "Murmur the Shadow Cat", new
        {
            description = "A black cat made of living shadow with glowing yellow eyes, who can melt into any darkness and steals shiny keys from sleeping guards.",
            examplePrompts = new[] { "a black cat made of living shadow with glowing yellow eyes melts into the darkness", "a shadow cat stealing a shiny key from a sleeping guard" },
        });

        var described = await world.ScreenAsync("purple galaxy armour, starlight pegasus, glowing violet lance");
        var theme = await world.ScreenAsync("a black cat sleeping on a windowsill in the sun");

        var knightSignal = ReasonFor(described, knight)!["signal"]!;
        Assert.Equal("review", described["outcome"]!.GetValue<string>());
        Assert.Equal("corroborated-description", knightSignal["evidence"]!["matchKind"]!.GetValue<string>());
        Assert.InRange(knightSignal["evidence"]!["similarity"]!.GetValue<double>(), 0.58, 0.6999);
        Assert.Contains("terms/1", knightSignal["modelVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        var catSignal = ReasonFor(theme, cat)!["signal"]!;
        Assert.Equal("review", theme["outcome"]!.GetValue<string>());
        Assert.Equal("corroborated-description", catSignal["evidence"]!["matchKind"]!.GetValue<string>());
        Assert.EndsWith("terms=3", catSignal["evidence"]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADescriptionInsideALongPromptIsFoundThroughTheRankedWindows()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, _) = await CharacterAsync(world, "Captain Kelpwhisker", new
        {
            description = "A walrus submarine captain with a monocle, a kelp-green naval coat and a pipe that blows bubbles, who commands a coral-covered submarine.",
            examplePrompts = new[] { "a walrus with a monocle in a green naval coat commands a coral-covered submarine" },
        });
        const string Filler = "A baker opens her shop and the smell of bread drifts along the cobbled street while children run to school. ";
        var description = "A monocled walrus in a green navy coat steers a submarine covered in coral, puffing bubbles from his pipe. ";
        var prompt = string.Concat(Enumerable.Repeat(Filler, 9)) + description + string.Concat(Enumerable.Repeat(Filler, 8));
        Assert.InRange(prompt.Length, 1_800, 2_100);

        var decision = await world.ScreenAsync(prompt);

        // Found in a ~20-word window ranked among the best two of ~35 (ADR-023); review or block, not allow.
        Assert.NotEqual("allow", decision["outcome"]!.GetValue<string>());
        var evidence = ReasonFor(decision, id)!["signal"]!["evidence"]!;
        var start = evidence["start"]!.GetValue<int>();
        Assert.Equal(evidence["matchedText"]!.GetValue<string>(), prompt.Substring(start, evidence["length"]!.GetValue<int>()));
        Assert.Contains("walrus", evidence["matchedText"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.InRange(evidence["length"]!.GetValue<int>(), 1, 200);
    }

    [Fact]
    public async Task ADescribedCharacterThePlatformIsLicensedForIsAllowedWithItsObligations()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, _) = await CharacterAsync(world, "Mossback Troll", new
        {
            description = "A grumpy, round, moss-covered swamp troll with a frog living on his head, who lives under a rotten bridge and charges a toll of pickled eggs.",
            examplePrompts = new[] { "a grumpy moss-covered troll with a frog on his head sits under a rotten bridge" },
        });
        await world.GrantAsync(id, new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 1200 });

        var decision = await world.ScreenAsync("a cranky mossy troll sitting under a rotting wooden bridge with a little frog perched on his head");

        Assert.Equal("allow", decision["outcome"]!.GetValue<string>());
        Assert.Equal("described-revenue-share-character-allows", ReasonFor(decision, id)!["rule"]!.GetValue<string>());
        Assert.Contains(decision["obligations"]!.AsArray(), o => o!["type"]!.GetValue<string>() == "record_usage");
    }

    [Fact]
    public async Task ANewDescriptionIsEmbeddedAndStoredBeforeTheUpdateAnswers()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var (id, name) = await CharacterAsync(world, "Lamp Ghost", new
        {
            description = "A translucent ghost nurse in an old-fashioned white uniform carrying an oil lamp through an abandoned hospital.",
        });
        var nurse = "a see-through phantom nurse with an oil lamp drifting down an abandoned hospital corridor";
        Assert.NotNull(ReasonFor(await world.ScreenAsync(nurse), id));

        var update = await world.RightsHolder.PutAsJsonAsync($"/v1/characters/{id}", new
        {
            canonicalName = name,
            franchise = "Test Franchise",
            description = "A clockwork owl librarian with brass feathers and reading glasses who sorts books in a floating library.",
            examplePrompts = new[] { "a brass clockwork owl wearing reading glasses sorting books in a library that floats in the clouds" },
        });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        Assert.Single((await World.Json(update))["examplePrompts"]!.AsArray());

        Assert.Null(ReasonFor(await world.ScreenAsync(nurse), id));
        Assert.NotNull(ReasonFor(await world.ScreenAsync("a mechanical owl with brass feathers and spectacles shelving books in a flying library"), id));
        await using var db = NpgsqlDataSource.Create(app.Database.App);
        await using var conn = await db.OpenConnectionAsync();
        var rows = (await conn.QueryAsync<(string Source, string Text, int Dims)>(
            "select source, text, cardinality(vector) from character_embeddings where character_id = @id order by ordinal", new { id })).ToList();
        Assert.Equal(["description", "example"], rows.Select(r => r.Source));
        Assert.StartsWith("A clockwork owl", rows[0].Text, StringComparison.Ordinal);
        Assert.All(rows, r => Assert.Equal(384, r.Dims));
    }

    [Fact]
    public async Task ALocalisedAliasIsMatchedInItsScriptAndReturnedWithTheCharacter()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var suffix = Guid.NewGuid().ToString("N")[..4];
        var russian = $"Бархатный Страж {suffix}";
        var (id, _) = await CharacterAsync(world, "Velvet Warden", new { localizedAliases = new Dictionary<string, string[]> { ["ru"] = [russian] } });

        var decision = await world.ScreenAsync($"{russian} охраняет ворота замка");

        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.Equal(russian, ReasonFor(decision, id)!["signal"]!["evidence"]!["matchedText"]!.GetValue<string>());
        var character = await World.Json(await world.RightsHolder.GetAsync($"/v1/characters/{id}"));
        Assert.Equal(russian, character["localizedAliases"]!["ru"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task ANamesakeAloneIsNeverBlocked()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, _) = await CharacterAsync(world, "Tram Pilot", new { aliases = new[] { "Lisbon" } });

        var decision = await world.ScreenAsync("a yellow tram climbing a steep hill in Lisbon at sunset");

        Assert.NotEqual("block", decision["outcome"]!.GetValue<string>());
        var rule = ReasonFor(decision, id)?["rule"]?.GetValue<string>();
        Assert.Contains(rule, new[] { null, "unlikely-character-allows", "namesake-character-review" });
    }

    [Fact]
    public async Task ANamesakeInAPromptThatDescribesTheCharacterIsBlockedAndTheSameNameInAnotherSceneIsNot()
    {
        // ADR-052: the one-word alias alone stays in review; with the character described around it, it blocks.
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (id, _) = await CharacterAsync(world, "Tram Phantom", new
        {
            aliases = new[] { "Havana" },
            description = "A ghostly tram conductor made of swirling blue mist, with a brass lantern and a silver bell, who haunts the last night tram.",
            examplePrompts = new[] { "a ghost tram conductor of blue mist ringing a silver bell on an empty night tram", "a misty blue phantom holding a brass lantern aboard a midnight tram" },
        });

        var described = await world.ScreenAsync("Havana, a ghostly conductor of swirling blue mist, rings her silver bell on the empty night tram, brass lantern glowing");
        var elsewhere = await world.ScreenAsync("a family picnic in a park in Havana on a sunny afternoon");

        Assert.Equal("block", described["outcome"]!.GetValue<string>());
        var reason = ReasonFor(described, id)!;
        Assert.Equal("described-namesake-character-blocks", reason["rule"]!.GetValue<string>());
        Assert.True(reason["signal"]!["evidence"]!["similarity"]!.GetValue<double>() >= 0.64);
        Assert.NotEqual("block", elsewhere["outcome"]!.GetValue<string>());
        Assert.Contains(ReasonFor(elsewhere, id)?["rule"]?.GetValue<string>(), new[] { null, "unlikely-character-allows", "namesake-character-review" });
    }

    [Theory]
    [InlineData("""{"canonicalName":"Bad Examples","examplePrompts":[""]}""")]
    [InlineData("""{"canonicalName":"Bad Language","localizedAliases":{"not a tag!":["x"]}}""")]
    [InlineData("""{"canonicalName":"Empty Language","localizedAliases":{"ru":[]}}""")]
    [InlineData("""{"canonicalName":"Unmatchable Alias","localizedAliases":{"ru":["..."]}}""")]
    public async Task BadExamplePromptsOrLocalisedAliasesAreA400(string body)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.RightsHolder.PostAsync("/v1/characters", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
