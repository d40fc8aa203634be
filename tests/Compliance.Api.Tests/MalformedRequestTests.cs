using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

/// <summary>
/// Requests that are broken below the JSON: an unknown charset, a multipart body that ends early or whose boundary is
/// wrong, headers over Kestrel's limits. Each is a 4xx (a problem-details answer where the app runs), never a 500.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MalformedRequestTests(PostgresFixture postgres) : PostgresTests
{
    public static TheoryData<string, string> JsonEndpoints => new()
    {
        { Roles.Platform, "/v1/screen/prompt" },
        { Roles.RightsHolder, "/v1/characters" },
        { Roles.RightsHolder, "/v1/grants" },
        { Roles.Admin, "/v1/admin/tenants" },
    };

    [Theory]
    [MemberData(nameof(JsonEndpoints))]
    public async Task JsonInAnUnknownCharsetIs415(string role, string path)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var client = role switch { Roles.Platform => world.Platform, Roles.RightsHolder => world.RightsHolder, _ => world.Admin };
        var content = new ByteArrayContent("""{"prompt":"x","name":"x","canonicalName":"x"}"""u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=klingon-8");

        var response = await client.PostAsync(path, content);

        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("klingon-8", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonInAKnownCharsetOtherThanUtf8IsRead()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var content = new ByteArrayContent(Encoding.Unicode.GetBytes("""{"prompt":"a calm sea"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-16");

        var response = await world.Platform.PostAsync("/v1/screen/prompt", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static TheoryData<string> UploadPaths => new()
    {
        "/v1/screen/image",
        "/v1/screen/video",
        "/v1/characters/{character}/references",
        "/v1/likeness/enrolments",
    };

    [Theory]
    [MemberData(nameof(UploadPaths))]
    public async Task MultipartBodyThatEndsEarlyIs400(string path)
    {
        var (client, url) = await UploaderAsync(path);
        // The part starts and its bytes begin, but the closing boundary never comes.
        var body = "--frontier\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: application/octet-stream\r\n\r\n"u8.ToArray()
            .Concat(TestImages.Read("bridge-1-original.png").Take(5000)).ToArray();

        var response = await client.PostAsync(url, Multipart(body, "multipart/form-data; boundary=frontier"));

        await AssertProblem(response, HttpStatusCode.BadRequest);
    }

    public static TheoryData<string, string> BadBoundaries => new()
    {
        { "/v1/screen/image", "multipart/form-data" },
        { "/v1/screen/image", "multipart/form-data; boundary=not-the-one-in-the-body" },
        { "/v1/screen/image", "multipart/form-data; boundary=" + new string('b', 71) },
        { "/v1/screen/video", "multipart/form-data; boundary=not-the-one-in-the-body" },
        { "/v1/characters/{character}/references", "multipart/form-data" },
        { "/v1/characters/{character}/references", "multipart/form-data; boundary=not-the-one-in-the-body" },
        { "/v1/likeness/enrolments", "multipart/form-data; boundary=not-the-one-in-the-body" },
    };

    [Theory]
    [MemberData(nameof(BadBoundaries))]
    public async Task MultipartWithAMissingOrWrongBoundaryIs400(string path, string contentType)
    {
        var (client, url) = await UploaderAsync(path);
        var body = "--frontier\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nabc\r\n--frontier--\r\n"u8.ToArray();

        var response = await client.PostAsync(url, Multipart(body, contentType));

        await AssertProblem(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task OversizedHeadersAreRefusedByKestrelBeforeTheAppRuns()
    {
        var app = await postgres.CreateAppAsync("kestrel", o => o.Kestrel = true);
        try
        {
            var client = app.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

            using var big = new HttpRequestMessage(HttpMethod.Get, "/health/live");
            big.Headers.Add("X-Padding", new string('a', 40 * 1024));
            using var many = new HttpRequestMessage(HttpMethod.Get, "/health/live");
            for (var i = 0; i < 120; i++)
            {
                many.Headers.Add($"X-Header-{i}", "x");
            }

            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await app.CreateClient().SendAsync(big)).StatusCode);
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await app.CreateClient().SendAsync(many)).StatusCode);
            Assert.Equal(HttpStatusCode.RequestUriTooLong, (await app.CreateClient().GetAsync("/health/live?q=" + new string('q', 9 * 1024))).StatusCode);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private async Task<(HttpClient Client, string Url)> UploaderAsync(string path)
    {
        var app = await postgres.SharedAppAsync();
        var world = await app.NewWorldAsync();
        if (path.Contains("{character}", StringComparison.Ordinal))
        {
            var (character, _) = await world.CharacterAsync("Multipart");
            return (world.RightsHolder, path.Replace("{character}", character.ToString(), StringComparison.Ordinal));
        }

        if (path.StartsWith("/v1/likeness", StringComparison.Ordinal))
        {
            var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Multipart Owner " + Guid.NewGuid().ToString("N")[..8] })))["id"]!.GetValue<Guid>();
            return (app.ClientWithKey(await app.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile)), path);
        }

        return (world.Platform, path);
    }

    private static ByteArrayContent Multipart(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
