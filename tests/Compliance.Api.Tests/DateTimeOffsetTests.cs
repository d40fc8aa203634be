using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

/// <summary>
/// Date-times may come with any offset and mean the same instant: they are stored and compared in UTC. A non-zero
/// offset used to be a 500 (Npgsql writes only UTC to timestamptz).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DateTimeOffsetTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task GrantValidityWithAnyOffsetIsStoredAsTheSameInstantInUtc()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Offset Grant");
        var json = $$"""
            {"characterId":"{{character}}","tenantId":"{{world.TenantId}}","kind":"allow",
             "validFrom":"2031-03-01T12:00:00+02:00","validUntil":"2031-03-02T08:00:00-05:30"}
            """;

        var response = await world.RightsHolder.PostAsync("/v1/grants", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await World.Json(response);
        AssertUtc(created["validFrom"], new DateTimeOffset(2031, 3, 1, 10, 0, 0, TimeSpan.Zero));
        AssertUtc(created["validUntil"], new DateTimeOffset(2031, 3, 2, 13, 30, 0, TimeSpan.Zero));
        var listed = JsonNode.Parse(await world.RightsHolder.GetStringAsync($"/v1/grants?characterId={character}"))!.AsArray().Single()!;
        AssertUtc(listed["validFrom"], new DateTimeOffset(2031, 3, 1, 10, 0, 0, TimeSpan.Zero));
        AssertUtc(listed["validUntil"], new DateTimeOffset(2031, 3, 2, 13, 30, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task ConsentExpiryWithAnOffsetIsStoredAsTheSameInstantInUtc()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Offset Owner" })))["id"]!.GetValue<Guid>();
        var owner = app.ClientWithKey(await app.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile));

        var response = await owner.PostAsync(
            "/v1/likeness/consent",
            new StringContent("""{"mode":"only_me","expiresAt":"2031-06-30T23:30:00-05:30"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        AssertUtc((await World.Json(response))["expiresAt"], new DateTimeOffset(2031, 7, 1, 5, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task DecisionFiltersAndExportTakeAnyOffset()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var decision = await world.ScreenAsync("a quiet harbour at dawn");
        var id = decision["decisionId"]!.GetValue<Guid>();
        var at = decision["createdAt"]!.GetValue<DateTimeOffset>();
        var from = Query(at.AddMinutes(-1).ToOffset(TimeSpan.FromHours(2)));
        var to = Query(at.AddMinutes(1).ToOffset(TimeSpan.FromHours(-5.5)));
        var later = Query(at.AddMinutes(1).ToOffset(TimeSpan.FromHours(2)));

        var within = await world.Auditor.GetAsync($"/v1/decisions?tenantId={world.TenantId}&from={from}&to={to}");
        var after = await world.Auditor.GetAsync($"/v1/decisions?tenantId={world.TenantId}&from={later}");
        var export = await world.Auditor.GetAsync($"/v1/decisions/export?tenantId={world.TenantId}&from={from}&to={to}");

        Assert.Equal(HttpStatusCode.OK, within.StatusCode);
        Assert.Contains(id, (await World.Json(within))["items"]!.AsArray().Select(i => i!["decisionId"]!.GetValue<Guid>()));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Empty((await World.Json(after))["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var lines = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains(id.ToString(), StringComparison.Ordinal));
    }

    // The instant is right and it is written in UTC (offset +00:00).
    private static void AssertUtc(JsonNode? node, DateTimeOffset expected)
    {
        var text = node!.GetValue<string>();
        var actual = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
        Assert.Equal(expected, actual);
        Assert.Equal(TimeSpan.Zero, actual.Offset);
    }

    private static string Query(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("yyyy-MM-ddTHH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture));
}
