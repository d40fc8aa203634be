using System.Net;
using Compliance.Api.Tests.Infrastructure;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class HealthTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task LiveAndReadyAnswerWithoutAKey()
    {
        var client = (await postgres.SharedAppAsync()).CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.Content.ReadAsStringAsync();
        Assert.Contains("postgres", body, StringComparison.Ordinal);
        Assert.Contains("sha256:", body, StringComparison.Ordinal);
        Assert.Contains("fr_detect@", body, StringComparison.Ordinal);
        Assert.Contains("resnet18-onnx/", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApiDocumentDescribesTheEndpoints()
    {
        var client = (await postgres.SharedAppAsync()).CreateClient();
        var doc = await client.GetStringAsync("/openapi/v1.json");
        foreach (var path in new[] { "/v1/screen/prompt", "/v1/screen/image", "/v1/screen/video", "/v1/characters", "/v1/grants", "/v1/decisions", "/v1/decisions/verify", "/v1/likeness/consent", "/v1/likeness/enrolments",
            "/v1/generations", "/v1/generations/{id}", "/v1/generations/{id}/content", "/v1/generations/{id}/provenance",
            "/v1/provenance/verify", "/v1/provenance/keys", "/v1/usage", "/v1/likeness/generations" })
        {
            Assert.Contains($"\"{path}\"", doc, StringComparison.Ordinal);
        }

        var ui = await client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Equal("text/html", ui.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task MetricsAreExposed()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await world.ScreenAsync("metric me");
        var metrics = await world.App.CreateClient().GetStringAsync("/metrics");
        Assert.Contains("compliance_decisions", metrics, StringComparison.Ordinal);
    }
}
