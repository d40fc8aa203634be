using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>The calls generation tests make: submit a job, wait for it (always bounded), read what it left in the database.</summary>
internal static class GenerationJobs
{
    /// <summary>The states a job ends in.</summary>
    public static readonly string[] Finished = ["released", "blocked", "in_review", "failed", "cancelled"];

    /// <summary>A small, quick job: 2 s at 320×240 (20 frames at the storyboard's 10 fps).</summary>
    public static Dictionary<string, object?> Small(string prompt, string? account = null) => new()
    {
        ["prompt"] = prompt,
        ["account"] = account,
        ["durationSeconds"] = 2,
        ["size"] = "320x240",
    };

    public static async Task<HttpResponseMessage> PostAsync(HttpClient platform, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/generations") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return await platform.SendAsync(request);
    }

    /// <summary>Submits a job and returns its id, asserting the 202.</summary>
    public static async Task<Guid> SubmitAsync(HttpClient platform, object body, string? idempotencyKey = null)
    {
        var response = await PostAsync(platform, body, idempotencyKey);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"submit answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var job = await World.Json(response);
        Assert.Equal($"/v1/generations/{job["id"]}", response.Headers.Location?.OriginalString);
        return job["id"]!.GetValue<Guid>();
    }

    public static async Task<JsonObject> GetAsync(HttpClient platform, Guid id)
    {
        var response = await platform.GetAsync($"/v1/generations/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await World.Json(response);
    }

    /// <summary>Polls the job until it has finished; fails the test (naming the last state) when it does not within <paramref name="within"/>.</summary>
    public static async Task<JsonObject> WaitFinishedAsync(HttpClient platform, Guid id, TimeSpan? within = null) =>
        await WaitForAsync(platform, id, j => Finished.Contains(State(j)), within ?? TimeSpan.FromSeconds(90), "to finish");

    public static async Task<JsonObject> WaitForAsync(HttpClient platform, Guid id, Func<JsonObject, bool> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        JsonObject job;
        do
        {
            job = await GetAsync(platform, id);
            if (condition(job))
            {
                return job;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"Generation {id} did not come {what} within {within.TotalSeconds} s; last seen: {job.ToJsonString()}");
        return job;
    }

    public static string State(JsonObject job) => job["state"]!.GetValue<string>();

    /// <summary>Runs one scalar query on the app's database (as the owner), for what the API does not show: row counts, Quartz's tables.</summary>
    public static async Task<T> ScalarAsync<T>(ComplianceApp app, string sql, object? args = null)
    {
        await using var conn = new NpgsqlConnection(app.Database.Owner);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        if (args is not null)
        {
            foreach (var p in args.GetType().GetProperties())
            {
                cmd.Parameters.AddWithValue(p.Name, p.GetValue(args) ?? DBNull.Value);
            }
        }

        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
