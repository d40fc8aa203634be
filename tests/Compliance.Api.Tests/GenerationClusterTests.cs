using System.Net.Http.Json;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace Compliance.Api.Tests;

/// <summary>
/// Two API nodes on one database share the generation queue through Quartz's clustered store. Quartz checks nodes in
/// every 5 s and declares one dead some 10 s after its last check-in, so these tests wait in tens of seconds; every
/// wait is bounded.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class GenerationClusterTests(PostgresFixture postgres) : PostgresTests
{
    private static void Settings(ComplianceAppOptions o) => o.Settings["Generation:MaxConcurrentJobsPerTenant"] = "20";

    private static async Task<string> InstanceIdAsync(ComplianceApp app) =>
        (await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler()).SchedulerInstanceId;

    /// <summary>The generations each node is running right now (Quartz's fired triggers), by instance id.</summary>
    /// <summary>A job's attempts and when it finished, from the database.</summary>
    private static async Task<(int Attempts, DateTimeOffset Finished)> AttemptsAsync(ComplianceApp app, Guid id)
    {
        await using var conn = new Npgsql.NpgsqlConnection(app.Database.Owner);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("select attempts, finished_at from generation_jobs where id = @id", conn);
        cmd.Parameters.AddWithValue("id", id);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset>(1));
    }

    private static async Task<List<(string Instance, Guid Job)>> RunningAsync(ComplianceApp app)
    {
        await using var conn = new Npgsql.NpgsqlConnection(app.Database.Owner);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            "select instance_name, job_name from qrtz_fired_triggers where job_group = 'generations' and state = 'EXECUTING'", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var running = new List<(string, Guid)>();
        while (await reader.ReadAsync())
        {
            running.Add((reader.GetString(0), Guid.ParseExact(reader.GetString(1), "N")));
        }

        return running;
    }

    /// <summary>A platform on both nodes and a character it holds a revenue-share grant for, matched by both nodes.</summary>
    private static async Task<(World World, HttpClient PlatformOnB, string Name)> SetUpAsync(ComplianceApp a, ComplianceApp b)
    {
        var world = await a.NewWorldAsync();
        var platformOnB = b.ClientWithKey(await b.CreateKeyAsync(Roles.Platform, world.TenantId));
        var (character, name) = await world.CharacterAsync("Cluster Comet");
        await world.GrantAsync(character, new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 500 });
        // The catalog reaches the other node by LISTEN/NOTIFY plus a poll: wait for it, bounded.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var decision = await World.Json(await platformOnB.PostAsJsonAsync("/v1/screen/prompt", new { prompt = $"{name} waves" }));
            if (decision["reasons"]![0]!["rule"]!.GetValue<string>() == "revenue-share-character-allows")
            {
                break;
            }

            await Task.Delay(200);
        }

        return (world, platformOnB, name);
    }

    private static Dictionary<string, object?> Job(string prompt) => new()
    {
        ["prompt"] = prompt,
        ["durationSeconds"] = 8,
        ["size"] = "640x360",
    };

    [Fact]
    public async Task TwoNodesShareTheQueueAndEachJobIsReleasedOnce()
    {
        var a = await postgres.CreateAppAsync("gennodes", Settings);
        var b = await postgres.CreateAppOnAsync(a.Database, Settings);
        var (world, platformOnB, name) = await SetUpAsync(a, b);
        var (idA, idB) = (await InstanceIdAsync(a), await InstanceIdAsync(b));
        Assert.NotEqual(idA, idB);

        var ids = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await GenerationJobs.SubmitAsync(i % 2 == 0 ? world.Platform : platformOnB, Job($"{name} crosses the sky, take {i}")));
        }

        // Both nodes run jobs: watch Quartz's fired triggers until each node has been seen running one.
        var seenOn = new HashSet<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (seenOn.Count < 2 && DateTime.UtcNow < deadline)
        {
            seenOn.UnionWith((await RunningAsync(a)).Select(r => r.Instance));
            await Task.Delay(50);
        }

        foreach (var id in ids)
        {
            Assert.Equal("released", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, id, TimeSpan.FromSeconds(120))));
        }

        Assert.Contains(idA, seenOn);
        Assert.Contains(idB, seenOn);
        await AssertEachReleasedOnceAsync(a, ids);
        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Fact]
    public async Task AnIdleNodeTakesJobsSubmittedToABusyOneWithinSeconds()
    {
        static void OneAtATime(ComplianceAppOptions o)
        {
            Settings(o);
            o.Settings["Generation:MaxConcurrentJobsPerNode"] = "1";
        }

        var a = await postgres.CreateAppAsync("genidle", OneAtATime);
        var b = await postgres.CreateAppOnAsync(a.Database, OneAtATime);
        var (world, _, name) = await SetUpAsync(a, b);
        var idB = await InstanceIdAsync(b);
        await Task.Delay(TimeSpan.FromSeconds(2)); // both schedulers idle

        var started = DateTime.UtcNow;
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await GenerationJobs.SubmitAsync(world.Platform, Job($"{name} crosses the sky, take {i}")));
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(await RunningAsync(a)).Any(r => r.Instance == idB) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var waited = DateTime.UtcNow - started;
        Assert.True(waited < TimeSpan.FromSeconds(10), $"node B, idle, started its first job {waited.TotalSeconds:0.0} s after node A was given three");
        foreach (var id in ids)
        {
            await GenerationJobs.WaitFinishedAsync(world.Platform, id, TimeSpan.FromSeconds(120));
        }

        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Fact]
    public async Task ANodeStoppedMidJobLeavesNoJobLostAndNoneReleasedTwice()
    {
        var a = await postgres.CreateAppAsync("genfailover", Settings);
        var b = await postgres.CreateAppOnAsync(a.Database, Settings);
        var (world, platformOnB, name) = await SetUpAsync(a, b);
        var idA = await InstanceIdAsync(a);
        await using var receiver = await CallbackReceiver.StartAsync();

        var ids = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            var body = Job($"{name} crosses the sky, take {i}");
            body["callbackUrl"] = $"{receiver.BaseUrl}/jobs/{i}";
            ids.Add(await GenerationJobs.SubmitAsync(i % 2 == 0 ? world.Platform : platformOnB, body));
        }

        // Stop node A while it is in the middle of at least one job.
        var interrupted = new List<Guid>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (interrupted.Count == 0 && DateTime.UtcNow < deadline)
        {
            interrupted = (await RunningAsync(b)).Where(r => r.Instance == idA).Select(r => r.Job).ToList();
            await Task.Delay(20);
        }

        Assert.NotEmpty(interrupted);
        await a.DisposeAsync();
        var stopped = DateTimeOffset.UtcNow;

        // Node B finishes everything: the interrupted jobs resume from their last completed stage.
        foreach (var id in ids)
        {
            var job = await GenerationJobs.WaitFinishedAsync(platformOnB, id, TimeSpan.FromSeconds(150));
            Assert.Equal("released", GenerationJobs.State(job));
        }

        // A job seen running on A may still have finished there between the look and the stop (under load the window is
        // real): then it ran once and finished before A stopped. Every other one was run again.
        foreach (var id in interrupted)
        {
            var (attempts, finished) = await AttemptsAsync(b, id);
            Assert.True(attempts >= 2 || (attempts == 1 && finished <= stopped), $"job {id} was interrupted but not run again (attempts {attempts}, finished {finished:O}, A stopped {stopped:O})");
        }

        await AssertEachReleasedOnceAsync(b, ids);
        // The platform hears of each release once: one terminal transition per job.
        for (var i = 0; i < ids.Count; i++)
        {
            var callback = Assert.Single(await receiver.WaitForAsync($"/jobs/{i}", 1, TimeSpan.FromSeconds(30)));
            Assert.Equal("generation.released", System.Text.Json.Nodes.JsonNode.Parse(callback.Body)!["type"]!.GetValue<string>());
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(ids.Count, receiver.Received.Count);
        await b.DisposeAsync();
    }

    /// <summary>Each job: one provenance manifest, one usage event; no scheduler job left behind.</summary>
    private static async Task AssertEachReleasedOnceAsync(ComplianceApp app, List<Guid> ids)
    {
        var jobs = ids.ToArray();
        Assert.Equal(ids.Count, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from generation_jobs where id = any(@jobs) and state = 'released'", new { jobs }));
        Assert.Equal(ids.Count, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from generation_provenance where generation_id = any(@jobs)", new { jobs }));
        Assert.Equal(ids.Count, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from usage_events where generation_id = any(@jobs)", new { jobs }));
        Assert.Equal(ids.Count, await GenerationJobs.ScalarAsync<long>(app, "select count(distinct generation_id) from usage_events where generation_id = any(@jobs)", new { jobs }));
        // The manifest names the bytes served: a second release would have had to replace it (append-only) or differ.
        Assert.Equal(0L, await GenerationJobs.ScalarAsync<long>(app,
            "select count(*) from generation_jobs g join generation_provenance p on p.generation_id = g.id where g.id = any(@jobs) and p.manifest->>'outputSha256' <> encode(g.output_sha256, 'hex')",
            new { jobs }));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        long left;
        while ((left = await GenerationJobs.ScalarAsync<long>(app, "select count(*) from qrtz_job_details where job_group = 'generations'")) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(0L, left);
    }
}
