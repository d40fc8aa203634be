using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Storage.Local;

namespace Compliance.Api.Tests;

/// <summary>The service as an operator deploys it: published to a folder outside the checkout, configured only by settings.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DeploymentTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task PublishedBuildStartsOutsideTheCheckoutWithOnlyConfigurationForItsFiles()
    {
        var checkout = RepositoryRoot.Find(AppContext.BaseDirectory)!;
        var root = Directory.CreateTempSubdirectory("compliance-publish-").FullName;
        try
        {
            var app = Path.Combine(root, "app");
            var publish = await RunAsync("dotnet", ["publish", Path.Combine(checkout, "src", "Compliance.Api"), "-c", "Release", "-o", app, "--nologo", "-v", "q"],
                checkout, TimeSpan.FromMinutes(8));
            Assert.True(publish.ExitCode == 0, publish.Output);
            Assert.True(File.Exists(Path.Combine(app, "policies", "10-fail-closed.policy.yaml")), "the policy files travel with the published build");

            var db = await postgres.NewDatabaseAsync("publish");
            var port = FreePort();
            var start = new ProcessStartInfo("dotnet", [Path.Combine(app, "Compliance.Api.dll")])
            {
                WorkingDirectory = app, // the content root: nothing above it is looked at
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment =
                {
                    ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                    ["ASPNETCORE_ENVIRONMENT"] = "Production",
                    ["ConnectionStrings__Compliance"] = db.App,
                    ["ConnectionStrings__ComplianceOwner"] = db.Owner,
                    ["Paths__Data"] = Path.Combine(root, "data"),
                    ["Paths__Models"] = Path.Combine(checkout, ".data", "models"),
                    ["Demo__Seed"] = "true",
                    ["Policies__Watch"] = "false",
                },
            };
            using var process = Process.Start(start)!;
            var output = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
                var ready = await WaitReadyAsync(http, process, TimeSpan.FromMinutes(3));
                Assert.True(ready is not null, "the published service did not become ready:\n" + output);
                Assert.Equal("Healthy", ready!["status"]!.GetValue<string>());
                Assert.StartsWith("sha256:", ready["checks"]!["policies"]!["data"]!["version"]!.GetValue<string>(), StringComparison.Ordinal);

                // Everything it wrote is under Paths:Data: demo keys, blobs, keys; and it answers a screening request.
                var keys = await File.ReadAllLinesAsync(Path.Combine(root, "data", "demo-keys.env"));
                var platformKey = keys.Single(l => l.StartsWith("export PLATFORM_KEY=", StringComparison.Ordinal)).Split('=', 2)[1];
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", platformKey);
                var screened = await http.PostAsJsonAsync("/v1/screen/prompt", new { prompt = "Captain Comet flies over the bay" });
                Assert.Equal(HttpStatusCode.OK, screened.StatusCode);
                Assert.Equal("block", (await screened.Content.ReadFromJsonAsync<JsonObject>())!["outcome"]!.GetValue<string>());
                Assert.True(Directory.Exists(Path.Combine(root, "data", "keys")), "signing keys are created under Paths:Data");
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<JsonObject?> WaitReadyAsync(HttpClient http, Process process, TimeSpan budget)
    {
        var until = DateTime.UtcNow + budget;
        while (DateTime.UtcNow < until && !process.HasExited)
        {
            try
            {
                var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return await response.Content.ReadFromJsonAsync<JsonObject>();
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(500);
        }

        return null;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string workingDirectory, TimeSpan budget)
    {
        var info = new ProcessStartInfo(file, args) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(budget);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
