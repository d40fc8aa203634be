using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>The parties of one test and shortcuts for the calls most tests make.</summary>
public sealed record World(
    ComplianceApp App,
    Guid TenantId,
    Guid OtherTenantId,
    Guid RightsHolderId,
    Guid OtherRightsHolderId,
    HttpClient Admin,
    HttpClient Platform,
    HttpClient OtherPlatform,
    HttpClient RightsHolder,
    HttpClient OtherRightsHolder,
    HttpClient Auditor)
{
    /// <summary>Registers a character with a unique name (so tests never collide in the shared catalog).</summary>
    public async Task<(Guid Id, string Name)> CharacterAsync(string baseName, string[]? aliases = null, HttpClient? owner = null)
    {
        var name = $"{baseName} {Guid.NewGuid().ToString("N")[..6]}";
        var response = await (owner ?? RightsHolder).PostAsJsonAsync("/v1/characters", new { canonicalName = name, aliases = aliases ?? [], franchise = "Test Franchise" });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return ((await Json(response))["id"]!.GetValue<Guid>(), name);
    }

    public async Task<Guid> GrantAsync(Guid characterId, object terms, Guid? tenant = null)
    {
        var body = JsonSerializer.SerializeToNode(terms)!.AsObject();
        body["characterId"] = characterId;
        body["tenantId"] = tenant ?? TenantId;
        var response = await RightsHolder.PostAsJsonAsync("/v1/grants", body);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await Json(response))["id"]!.GetValue<Guid>();
    }

    public async Task<JsonObject> ScreenAsync(string prompt, HttpClient? platform = null, string[]? contexts = null)
    {
        var response = await (platform ?? Platform).PostAsJsonAsync("/v1/screen/prompt", new { prompt, contexts });
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await Json(response);
    }

    public static async Task<JsonObject> Json(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
}
