using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Api.Likeness;
using Compliance.Api.Screening;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

/// <summary>
/// Text PostgreSQL cannot store (U+0000, lone UTF-16 surrogates) is refused with a 400 naming the field, in every
/// kind of stored field. It used to reach the database and come back as 503 "retry", which clients retry forever.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class UnstorableTextTests(PostgresFixture postgres) : PostgresTests
{
    // JSON escapes, sent as written: \u0000 is NUL.
    public static TheoryData<string, string, string, string, string> JsonFields => new()
    {
        { "rights_holder", "POST", "/v1/characters", """{"canonicalName":"Bad\u0000Name"}""", "CanonicalName" },
        { "rights_holder", "POST", "/v1/characters", """{"canonicalName":"Fine","aliases":["ok","\u0000"]}""", "Aliases[1]" },
        { "rights_holder", "POST", "/v1/characters", """{"canonicalName":"Fine","description":"tail\u0000"}""", "Description" },
        { "rights_holder", "POST", "/v1/grants/{guid}/revoke", """{"reason":"campaign\u0000over"}""", "Reason" },
        { "admin", "POST", "/v1/admin/tenants", """{"name":"Tenant\u0000"}""", "Name" },
        { "admin", "POST", "/v1/admin/rights-holders", """{"name":"Studio\u0000"}""", "Name" },
        { "admin", "POST", "/v1/admin/keys", """{"name":"key\u0000","role":"auditor"}""", "Name" },
        { "admin", "POST", "/v1/admin/likeness-profiles", """{"displayName":"Ada\u0000"}""", "DisplayName" },
        { "admin", "POST", "/v1/admin/public-figures", """{"name":"Figure","aliases":["\u0000"]}""", "Aliases[0]" },
        { "auditor", "POST", "/v1/decisions/{guid}/review", """{"outcome":"allow","reason":"fine\u0000"}""", "Reason" },
        { "auditor", "POST", "/v1/reviews/{guid}/resolve", """{"resolution":"uphold","reason":"fine\u0000"}""", "Reason" },
        { "auditor", "POST", "/v1/reviews/{guid}/resolve", """{"resolution":"uphold","reason":"fine","publicNote":"\u0000"}""", "PublicNote" },
        { "auditor", "POST", "/v1/reviews/{guid}/notes", """{"visibility":"public","text":"note\u0000"}""", "Text" },
        { "platform", "POST", "/v1/decisions/{guid}/appeals", """{"statement":"unfair\u0000"}""", "Statement" },
        { "auditor", "POST", "/v1/policies/replay", """{"files":[{"name":"a.policy.yaml","content":"x\u0000"}],"from":"2030-01-01T00:00:00Z","to":"2030-01-02T00:00:00Z"}""", "Files[0].Content" },
        { "likeness_owner", "PUT", "/v1/likeness/profile", """{"displayName":"Me\u0000"}""", "DisplayName" },
        { "likeness_owner", "PUT", "/v1/likeness/profile", """{"displayName":"Me","ownAccounts":[{"tenantId":"{guid}","account":"me\u0000"}]}""", "OwnAccounts[0].Account" },
        { "likeness_owner", "POST", "/v1/likeness/consent", """{"mode":"allowlist","allowedAccounts":[{"tenantId":"{guid}","account":"\u0000x"}]}""", "AllowedAccounts[0].Account" },
        { "likeness_owner", "POST", "/v1/likeness/consent/revoke", """{"reason":"\u0000"}""", "Reason" },
        { "platform", "POST", "/v1/screen/prompt", """{"prompt":"a calm sea","account":"viewer\u0000"}""", "Account" },
    };

    [Theory]
    [MemberData(nameof(JsonFields))]
    public async Task UnstorableTextInAStoredFieldIsA400NamingTheField(string role, string method, string path, string json, string field)
    {
        var client = await ClientAsync(role);
        var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal))
        {
            Content = new StringContent(json.Replace("{guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal), Encoding.UTF8, "application/json"),
        };

        var response = await client.SendAsync(request);

        var errors = await ValidationErrorsAsync(response);
        Assert.True(errors.ContainsKey(field), $"expected an error for {field}; got {string.Join(", ", errors.Select(e => e.Key))}");
        Assert.Contains("U+0000", errors[field]!.AsArray()[0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    // A lone surrogate cannot be turned into UTF-8, so System.Text.Json refuses the escape while reading; the
    // storable-text check would catch one that arrived any other way.
    [Theory]
    [InlineData("""{"canonicalName":"Bad\ud800Name"}""")]
    [InlineData("""{"canonicalName":"Fine","aliases":["\udc00"]}""")]
    public async Task ALoneSurrogateEscapeIsA400NotA500(string json)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();

        var response = await world.RightsHolder.PostAsync("/v1/characters", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("plain", null)]
    [InlineData("fox 🦊 pair", null)]
    [InlineData("nul\0", "U+0000")]
    [InlineData("lone {D800} high", "U+D800")]
    [InlineData("lone {DC00} low", "U+DC00")]
    [InlineData("reversed {DC00}{D800}", "U+DC00")]
    public void StorableTextNamesNulAndLoneSurrogates(string text, string? expected)
    {
        // Attribute strings cannot carry lone surrogates (metadata is UTF-8), so they are put in here.
        var problem = StorableText.Problem(text.Replace("{D800}", "\ud800", StringComparison.Ordinal).Replace("{DC00}", "\udc00", StringComparison.Ordinal));

        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains(expected, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryStringInARequestIsCheckedButTextMarkedNotStored()
    {
        var profile = new ProfileRequest("ok", ["fine", "bad\0"], null, [new PlatformAccount(Guid.NewGuid(), "\ud800")]);
        var prompt = new ScreenPromptRequest("not stored \0", "acc\0", null);

        Assert.Equal(["NameVariants[1]", "OwnAccounts[0].Account"], StorableText.Check(profile).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["Account"], StorableText.Check(prompt).Keys);
    }

    [Fact]
    public async Task APromptIsScreenedWhateverItContainsBecauseItIsNotStoredAsText()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();

        var response = await world.Platform.PostAsync("/v1/screen/prompt", new StringContent("""{"prompt":"nul \u0000 here"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/v1/screen/image")]
    [InlineData("/v1/characters/{character}/references")]
    public async Task MultipartFileNameWithNulIsA400(string path)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Upload Name");
        var client = path.StartsWith("/v1/screen", StringComparison.Ordinal) ? world.Platform : world.RightsHolder;
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(TestImages.Read("bridge-1-original.png"));
        file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"file\"", FileNameStar = "bridge\u0000.png" };
        form.Add(file);

        var response = await client.PostAsync(path.Replace("{character}", character.ToString(), StringComparison.Ordinal), form);

        var errors = await ValidationErrorsAsync(response);
        Assert.Contains("U+0000", errors["file"]!.AsArray()[0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MultipartAccountFieldWithNulIsA400()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var form = TestImages.Form(TestImages.Read("bridge-1-original.png"), "bridge.png", ("account", "viewer\u0000"));

        var response = await world.Platform.PostAsync("/v1/screen/image", form);

        var errors = await ValidationErrorsAsync(response);
        Assert.Contains("U+0000", errors["account"]!.AsArray()[0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CsvCellWithNulIsA400NamingTheLineAndNothingIsImported()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Csv Cell");
        var hash = TestImages.ExpectedHash("bridge-1-original.png");
        var csv = $"{hash},100,good.png\n{hash},100,bad\0name.png\n";

        var response = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references/hashes", new StringContent(csv, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("line 2: file name: Contains U+0000", body, StringComparison.Ordinal);
        var references = JsonNode.Parse(await world.RightsHolder.GetStringAsync($"/v1/characters/{character}/references"))!.AsArray();
        Assert.Empty(references);
    }

    [Theory]
    [InlineData("/v1/decisions?rule=%00")]
    [InlineData("/v1/decisions?classifier=names%00text")]
    public async Task ADataErrorFromTheDatabaseIsA400NotA503Retry(string path)
    {
        // Query strings are not validated by the request filter; the database refuses the NUL, and that refusal
        // (SQLSTATE 22021, a data exception) is the caller's error: it would fail the same on every retry.
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();

        var response = await world.Auditor.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("22021", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<HttpClient> ClientAsync(string role)
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        return role switch
        {
            Roles.Admin => world.Admin,
            Roles.RightsHolder => world.RightsHolder,
            Roles.Auditor => world.Auditor,
            Roles.Platform => world.Platform,
            Roles.LikenessOwner => app.ClientWithKey(await app.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId:
                (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Owner " + Guid.NewGuid().ToString("N")[..6] })))["id"]!.GetValue<Guid>())),
            _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
        };
    }

    private static async Task<JsonObject> ValidationErrorsAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!["errors"]!.AsObject();
    }
}
