using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

/// <summary>
/// <c>GET /v1/usage</c> pages by keyset cursor through a Link rel="next" header: every event exactly once, in order,
/// even with rows sharing a creation time and rows added while paging; a cursor that is not one is a 400.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FeedPagingTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task UsagePagesVisitEveryEventOnceNewestFirst()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Paging Pelican");
        var grant = await world.RightsHolder.PostAsJsonAsync("/v1/grants",
            new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 1000, characterId = character, tenantId = world.TenantId });
        var grantId = (await World.Json(grant))["id"]!.GetValue<Guid>();
        var seed = new UsageSeed(character, world.RightsHolderId, grantId, 1000, 3.0);

        // 7 generations: three share one instant (the cursor's id tie-break), the rest a second apart.
        var t0 = DateTimeOffset.UtcNow.AddDays(-2);
        var instants = new[] { t0, t0, t0, t0.AddSeconds(1), t0.AddSeconds(2), t0.AddSeconds(3), t0.AddSeconds(4) };
        foreach (var at in instants)
        {
            await SettlementData.GenerationAsync(app.Database, world.TenantId, at, [seed]);
        }

        var all = JsonNode.Parse(await world.RightsHolder.GetStringAsync("/v1/usage?limit=200"))!.AsArray();
        Assert.Equal(7, all.Count);

        var seen = new List<string>();
        string? next = "/v1/usage?limit=3";
        var pages = 0;
        while (next is not null)
        {
            var response = await world.RightsHolder.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.AddRange(JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Select(e => e!["id"]!.GetValue<string>()));
            next = NextLink(response);
            if (pages++ == 0)
            {
                // An event added after the first page is newer than the cursor: it does not shift later pages.
                await SettlementData.GenerationAsync(app.Database, world.TenantId, DateTimeOffset.UtcNow, [seed]);
            }
        }

        Assert.Equal(3, pages);   // 3 + 3 + 1
        Assert.Equal(all.Select(e => e!["id"]!.GetValue<string>()), seen);
    }

    [Theory]
    [InlineData("nonsense!")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task ACursorThatIsNotOneIsA400(string cursor)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.RightsHolder.GetAsync($"/v1/usage?cursor={Uri.EscapeDataString(cursor)}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("cursor", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherHoldersCursorShowsOnlyYourOwnEvents()
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        var (character, _) = await world.CharacterAsync("Cursor Crane");
        var grant = await world.RightsHolder.PostAsJsonAsync("/v1/grants",
            new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 500, characterId = character, tenantId = world.TenantId });
        var seed = new UsageSeed(character, world.RightsHolderId, (await World.Json(grant))["id"]!.GetValue<Guid>(), 500, 1.0);
        await SettlementData.GenerationAsync(app.Database, world.TenantId, DateTimeOffset.UtcNow.AddHours(-2), [seed]);
        await SettlementData.GenerationAsync(app.Database, world.TenantId, DateTimeOffset.UtcNow.AddHours(-1), [seed]);

        var first = await world.RightsHolder.GetAsync("/v1/usage?limit=1");
        var next = NextLink(first);
        Assert.NotNull(next);

        // The cursor is a position, not a capability: the other holder following it sees none of these events.
        var theirs = JsonNode.Parse(await world.OtherRightsHolder.GetStringAsync(next))!.AsArray();
        Assert.Empty(theirs);
    }

    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        var link = Assert.Single(links);
        Assert.EndsWith("; rel=\"next\"", link, StringComparison.Ordinal);
        return link[1..link.IndexOf('>', StringComparison.Ordinal)];
    }
}
