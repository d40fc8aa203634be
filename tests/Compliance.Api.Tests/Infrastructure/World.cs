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

    /// <summary>
    /// A prompt that is borderline under the fused text rules (issue 10): it names <see cref="StormQueenAsync"/>'s
    /// alias "Storm", an ordinary word that alone never blocks, in a scene that only loosely resembles the character
    /// (similarity ≈ 0.47, probability ≈ 0.63 when written), so the decision is review. A prompt that also describes her
    /// closely ("Storm, in her cloak of thunderclouds, summons lightning…": similarity 0.70) blocks since ADR-052.
    /// </summary>
    public const string BorderlinePrompt = "Storm stands on a rooftop above the city skyline at night";

    /// <summary>Registers a character with the one-word alias "Storm" and a description (see <see cref="BorderlinePrompt"/>).</summary>
    public async Task<Guid> StormQueenAsync()
    {
        var response = await RightsHolder.PostAsJsonAsync("/v1/characters", new
        {
            canonicalName = $"Storm Queen {Guid.NewGuid().ToString("N")[..6]}",
            aliases = new[] { "Storm" },
            franchise = "Test Franchise",
            description = "A queen who commands the weather: a tall woman in a cloak of thunderclouds with a crown of lightning, who summons storms over the city.",
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await Json(response))["id"]!.GetValue<Guid>();
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
