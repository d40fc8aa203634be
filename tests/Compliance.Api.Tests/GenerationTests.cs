using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Generation.Tests.Generators;
using Compliance.Storage.Local;

namespace Compliance.Api.Tests;

/// <summary>
/// The gated generation pipeline end to end: the real host on a real PostgreSQL, the local storyboard generator
/// encoding with the real ffmpeg, the frame gate running the real image and face models. Videos are kept short
/// and small (2 s, 320×240) so each job takes a few seconds. Tests that register reference images or faces get a
/// database of their own, because banks are shared by everyone on one database.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class GenerationTests(PostgresFixture postgres) : PostgresTests
{
    private static readonly string Faces = Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, ".data", "test-images", "faces");

    private static HttpContent VideoForm(byte[] video, params (string Name, string Value)[] fields) => TestImages.Form(video, "video.mp4", fields);

    private static Guid? DecisionId(JsonObject job, string gate) => job["decisions"]![gate]?.GetValue<Guid>();

    private static async Task<JsonObject> DecisionAsync(HttpClient reader, Guid id)
    {
        var response = await reader.GetAsync($"/v1/decisions/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await World.Json(response))["decision"]!.AsObject();
    }

    private static IEnumerable<JsonNode> Reasons(JsonObject decision) => decision["reasons"]!.AsArray().Select(r => r!);

    private static async Task AssertNothingReleasedAsync(World world, Guid id)
    {
        var content = await world.Platform.GetAsync($"/v1/generations/{id}/content");
        Assert.Equal(HttpStatusCode.NotFound, content.StatusCode);
        Assert.Equal("application/problem+json", content.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await world.Platform.GetAsync($"/v1/generations/{id}/provenance")).StatusCode);
        Assert.Equal(0L, await GenerationJobs.ScalarAsync<long>(world.App, "select count(*) from generation_provenance where generation_id = @id", new { id }));
        Assert.Equal(0L, await GenerationJobs.ScalarAsync<long>(world.App, "select count(*) from usage_events where generation_id = @id", new { id }));
    }

    private static async Task<(Guid Character, string Name)> CharacterWithReferenceAsync(World world, string baseName, string image = "bridge-1-original.png")
    {
        var (character, name) = await world.CharacterAsync(baseName);
        var upload = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references", TestImages.Form(TestImages.Read(image), image));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        return (character, name);
    }

    private static async Task<(Guid Profile, HttpClient Owner)> LikenessAsync(World world, string displayName, string? enrolPhoto = null)
    {
        var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles",
            new { displayName = $"{displayName} {Guid.NewGuid().ToString("N")[..5]}" })))["id"]!.GetValue<Guid>();
        var owner = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile));
        if (enrolPhoto is not null)
        {
            var enrol = await owner.PostAsync("/v1/likeness/enrolments", TestImages.Form(File.ReadAllBytes(Path.Combine(Faces, enrolPhoto)), enrolPhoto));
            Assert.Equal(HttpStatusCode.Created, enrol.StatusCode);
        }

        return (profile, owner);
    }

    // ---- Release and provenance -------------------------------------------------------------------------------------

    [Fact]
    public async Task AllowedPromptIsReleasedWithAProvenanceManifestThatVerifiesAndFailsOnOneChangedByte()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();

        var id = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small("a lighthouse on a cliff at dawn"));
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("released", GenerationJobs.State(job));
        Assert.Equal(1.0, job["progress"]!.GetValue<double>());
        Assert.NotNull(DecisionId(job, "prompt"));
        Assert.NotNull(DecisionId(job, "frames"));
        Assert.Equal("local-storyboard", job["generator"]!.GetValue<string>());
        Assert.Equal("320x240", job["size"]!.GetValue<string>());
        Assert.Equal(1, job["attempts"]!.GetValue<int>());
        foreach (var stage in new[] { "prompt", "generate", "frames", "release" })
        {
            Assert.True(job["stageSeconds"]![stage] is not null, $"no timing for stage {stage}: {job}");
        }

        var video = await world.Platform.GetByteArrayAsync($"/v1/generations/{id}/content");
        var sha = Convert.ToHexStringLower(SHA256.HashData(video));
        Assert.Equal(sha, job["output"]!["sha256"]!.GetValue<string>());
        Assert.Equal(video.Length, job["output"]!["bytes"]!.GetValue<long>());

        var provenance = await World.Json(await world.Platform.GetAsync($"/v1/generations/{id}/provenance"));
        var manifest = provenance["manifest"]!;
        Assert.Equal(sha, manifest["outputSha256"]!.GetValue<string>());
        Assert.Equal(id, manifest["generationId"]!.GetValue<Guid>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("a lighthouse on a cliff at dawn"))), manifest["promptSha256"]!.GetValue<string>());
        Assert.Equal([DecisionId(job, "prompt")!.Value, DecisionId(job, "frames")!.Value], manifest["decisionIds"]!.AsArray().Select(d => d!.GetValue<Guid>()).ToArray());
        Assert.DoesNotContain("lighthouse", provenance.ToJsonString(), StringComparison.Ordinal);
        var cose = provenance["coseSign1"]!.GetValue<string>();

        // By file, with the manifest itself or with the generation's id.
        var byFile = await World.Json(await world.Platform.PostAsync("/v1/provenance/verify", VideoForm(video, ("coseSign1", cose))));
        Assert.True(byFile["valid"]!.GetValue<bool>(), byFile.ToJsonString());
        var byId = await World.Json(await world.Platform.PostAsync("/v1/provenance/verify", VideoForm(video, ("generationId", id.ToString()))));
        Assert.True(byId["valid"]!.GetValue<bool>(), byId.ToJsonString());
        // By hash.
        var byHash = await World.Json(await world.Platform.PostAsJsonAsync("/v1/provenance/verify", new { sha256 = sha, generationId = id }));
        Assert.True(byHash["valid"]!.GetValue<bool>(), byHash.ToJsonString());

        // One byte changed: the same manifest no longer verifies the file, nor its hash.
        var altered = (byte[])video.Clone();
        altered[altered.Length / 2] ^= 0x01;
        var alteredFile = await World.Json(await world.Platform.PostAsync("/v1/provenance/verify", VideoForm(altered, ("coseSign1", cose))));
        Assert.False(alteredFile["valid"]!.GetValue<bool>());
        Assert.Equal("hash_mismatch", alteredFile["verdict"]!.GetValue<string>());
        var alteredHash = await World.Json(await world.Platform.PostAsJsonAsync("/v1/provenance/verify",
            new { sha256 = Convert.ToHexStringLower(SHA256.HashData(altered)), generationId = id }));
        Assert.False(alteredHash["valid"]!.GetValue<bool>());
        Assert.Equal("hash_mismatch", alteredHash["verdict"]!.GetValue<string>());
    }

    // ---- The prompt gate ------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(null, "unlicensed-character-blocks")]
    [InlineData("deny", "denied-character-blocks")]
    public async Task UnlicensedOrDeniedCharacterIsBlockedAtThePromptGateAndNothingIsGenerated(string? grant, string rule)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (character, name) = await world.CharacterAsync("Comet Rider");
        if (grant is not null)
        {
            await world.GrantAsync(character, new { kind = grant });
        }

        var id = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small($"{name} flies over a neon city"));
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("blocked", GenerationJobs.State(job));
        Assert.NotNull(DecisionId(job, "prompt"));
        Assert.Null(DecisionId(job, "frames"));
        Assert.Null(job["output"]);
        Assert.Contains(name, job["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(job["stageSeconds"]!["generate"]);
        var decision = await DecisionAsync(world.Platform, DecisionId(job, "prompt")!.Value);
        Assert.Equal("block", decision["outcome"]!.GetValue<string>());
        Assert.Contains(Reasons(decision), r => r["rule"]!.GetValue<string>() == rule && r["signal"]!["entity"]!["id"]!.GetValue<Guid>() == character);
        await AssertNothingReleasedAsync(world, id);
    }

    // ---- The frame gate -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task PromptThatPassesButWhoseOutputShowsADeniedCharactersReferenceImageIsBlockedAtTheFrameGate()
    {
        var app = await postgres.CreateAppAsync("genframes");
        var world = await app.NewWorldAsync();
        var (character, _) = await CharacterWithReferenceAsync(world, "Bridge Spirit");
        await world.GrantAsync(character, new { kind = "deny" });
        var body = GenerationJobs.Small("a calm river at sunset");
        body["referenceImage"] = Convert.ToBase64String(TestImages.Read("bridge-1-original.png"));

        var id = await GenerationJobs.SubmitAsync(world.Platform, body);
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("blocked", GenerationJobs.State(job));
        Assert.Equal("allow", (await DecisionAsync(world.Platform, DecisionId(job, "prompt")!.Value))["outcome"]!.GetValue<string>());
        var frames = await DecisionAsync(world.Platform, DecisionId(job, "frames")!.Value);
        Assert.Equal("block", frames["outcome"]!.GetValue<string>());
        Assert.Equal("video", frames["subject"]!.GetValue<string>());
        Assert.Contains(Reasons(frames), r => r["rule"]!.GetValue<string>() == "denied-character-blocks"
            && r["signal"]!["classifier"]!.GetValue<string>().StartsWith("reference-image-", StringComparison.Ordinal)
            && r["signal"]!["entity"]!["id"]!.GetValue<Guid>() == character);
        await AssertNothingReleasedAsync(world, id);
        await app.DisposeAsync();
    }

    // ---- Cameos ---------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task UnknownCameoIsRefusedAtSubmit()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var body = GenerationJobs.Small("two friends at a picnic", "viewer-1");
        body["cameos"] = new[] { Guid.NewGuid() };

        var response = await GenerationJobs.PostAsync(world.Platform, body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0L, await GenerationJobs.ScalarAsync<long>(world.App, "select count(*) from generation_jobs where tenant_id = @t", new { t = world.TenantId }));
    }

    [Fact]
    public async Task CameoWithoutConsentForTheAccountIsBlockedAtThePromptGateAndItsOwnerSeesTheAttempt()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var (profile, owner) = await LikenessAsync(world, "Wendeline Harrow");
        // Consent exists, but for another account: it does not cover this request.
        var consent = await owner.PostAsJsonAsync("/v1/likeness/consent", new { mode = "allowlist", allowedAccounts = new[] { new { tenantId = world.TenantId, account = "friend" } } });
        Assert.Equal(HttpStatusCode.Created, consent.StatusCode);
        var body = GenerationJobs.Small("two friends at a picnic", "stranger");
        body["cameos"] = new[] { profile };

        var id = await GenerationJobs.SubmitAsync(world.Platform, body);
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("blocked", GenerationJobs.State(job));
        Assert.Null(DecisionId(job, "frames"));
        var decision = await DecisionAsync(world.Platform, DecisionId(job, "prompt")!.Value);
        Assert.Contains(Reasons(decision), r => r["rule"]!.GetValue<string>() == "likeness-without-consent-blocks" && r["signal"]!["entity"]!["id"]!.GetValue<Guid>() == profile);
        var seen = JsonNode.Parse(await owner.GetStringAsync("/v1/likeness/generations"))!;
        var mine = Assert.Single(seen.AsArray(), g => g!["generationId"]!.GetValue<Guid>() == id)!;
        Assert.Equal("blocked", mine["state"]!.GetValue<string>());
        Assert.True(mine["askedAsCameo"]!.GetValue<bool>());
        await AssertNothingReleasedAsync(world, id);
    }

    [Fact]
    public async Task CameoWithConsentIsReleasedWithTheConsentInItsProvenanceAndTheOwnerSeesIt()
    {
        var app = await postgres.CreateAppAsync("gencameo");
        var world = await app.NewWorldAsync();
        var (profile, owner) = await LikenessAsync(world, "Eileen Cameo", "astronaut.png");
        var consent = await World.Json(await owner.PostAsJsonAsync("/v1/likeness/consent",
            new { mode = "allowlist", allowedAccounts = new[] { new { tenantId = world.TenantId, account = "viewer-7" } } }));
        var body = GenerationJobs.Small("two friends at a picnic", "viewer-7");
        body["cameos"] = new[] { profile };

        var id = await GenerationJobs.SubmitAsync(world.Platform, body);
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("released", GenerationJobs.State(job));
        // The storyboard placed the enrolled face; the frame gate found it and checked consent for the account.
        var frames = await DecisionAsync(world.Platform, DecisionId(job, "frames")!.Value);
        Assert.Contains(Reasons(frames), r => r["signal"]?["kind"]?.GetValue<string>() == "likeness" && r["signal"]!["entity"]!["id"]!.GetValue<Guid>() == profile
            && r["outcome"]!.GetValue<string>() == "allow");
        var provenance = await World.Json(await world.Platform.GetAsync($"/v1/generations/{id}/provenance"));
        Assert.Contains(consent["id"]!.GetValue<Guid>(), provenance["manifest"]!["consentIds"]!.AsArray().Select(c => c!.GetValue<Guid>()));
        var seen = JsonNode.Parse(await owner.GetStringAsync("/v1/likeness/generations"))!;
        var mine = Assert.Single(seen.AsArray(), g => g!["generationId"]!.GetValue<Guid>() == id)!;
        Assert.Equal("released", mine["state"]!.GetValue<string>());

        // The same face shown without consent (as a reference image, for an account the consent does not cover) is caught by the frame gate.
        var sneaky = GenerationJobs.Small("a portrait in a gallery", "stranger");
        sneaky["referenceImage"] = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(Faces, "astronaut.png")));
        var sneakyId = await GenerationJobs.SubmitAsync(world.Platform, sneaky);
        var sneakyJob = await GenerationJobs.WaitFinishedAsync(world.Platform, sneakyId);
        Assert.Equal("blocked", GenerationJobs.State(sneakyJob));
        var sneakyFrames = await DecisionAsync(world.Platform, DecisionId(sneakyJob, "frames")!.Value);
        Assert.Contains(Reasons(sneakyFrames), r => r["rule"]!.GetValue<string>() == "likeness-without-consent-blocks" && r["signal"]!["entity"]!["id"]!.GetValue<Guid>() == profile);
        await AssertNothingReleasedAsync(world, sneakyId);
        await app.DisposeAsync();
    }

    // ---- Usage events ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task LicensedCharacterWithRevenueShareIsReleasedAndCreatesExactlyOneUsageEventSeenOnlyByItsRightsHolder()
    {
        var app = await postgres.CreateAppAsync("genusage");
        var world = await app.NewWorldAsync();
        var (character, name) = await CharacterWithReferenceAsync(world, "Nebula Knight");
        var grant = await world.GrantAsync(character, new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 700 });
        // Named in the prompt and shown in the frames: two decisions ask for usage, one event is written.
        var body = GenerationJobs.Small($"{name} stands on an old bridge");
        body["referenceImage"] = Convert.ToBase64String(TestImages.Read("bridge-1-original.png"));

        var id = await GenerationJobs.SubmitAsync(world.Platform, body);
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("released", GenerationJobs.State(job));
        var usage = JsonNode.Parse(await world.RightsHolder.GetStringAsync("/v1/usage"))!.AsArray();
        var usageEvent = Assert.Single(usage)!;
        Assert.Equal(id, usageEvent["generationId"]!.GetValue<Guid>());
        Assert.Equal(character, usageEvent["characterId"]!.GetValue<Guid>());
        Assert.Equal(name, usageEvent["characterName"]!.GetValue<string>());
        Assert.Equal(grant, usageEvent["grantId"]!.GetValue<Guid>());
        Assert.Equal(world.TenantId, usageEvent["tenantId"]!.GetValue<Guid>());
        Assert.Equal(700, usageEvent["revenueShareBps"]!.GetValue<int>());
        Assert.InRange(usageEvent["secondsOnScreen"]!.GetValue<double>(), 0.5, 2.0);
        Assert.Equal(1L, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from usage_events where generation_id = @id", new { id }));
        Assert.Empty(JsonNode.Parse(await world.OtherRightsHolder.GetStringAsync("/v1/usage"))!.AsArray());
        await app.DisposeAsync();
    }

    // ---- Idempotency ----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task RetriedIdempotentRequestReturnsTheSameJobAndCreatesOne()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var key = "retry-" + Guid.NewGuid().ToString("N");
        var body = GenerationJobs.Small("a paper boat on a puddle");

        var first = await GenerationJobs.PostAsync(world.Platform, body, key);
        var again = await GenerationJobs.PostAsync(world.Platform, body, key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var id = (await World.Json(first))["id"]!.GetValue<Guid>();
        Assert.Equal(id, (await World.Json(again))["id"]!.GetValue<Guid>());
        Assert.Equal(1L, await GenerationJobs.ScalarAsync<long>(world.App, "select count(*) from generation_jobs where tenant_id = @t", new { t = world.TenantId }));

        // The same key on another platform is another platform's key.
        Assert.Equal(HttpStatusCode.Accepted, (await GenerationJobs.PostAsync(world.OtherPlatform, body, key)).StatusCode);
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);
        Assert.Equal(1, job["attempts"]!.GetValue<int>());
    }

    [Fact]
    public async Task SameIdempotencyKeyWithADifferentBodyIsAConflict()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var key = "conflict-" + Guid.NewGuid().ToString("N");
        var id = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small("a kite over a field"), key);

        var response = await GenerationJobs.PostAsync(world.Platform, GenerationJobs.Small("a kite over the sea"), key);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(id.ToString(), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1L, await GenerationJobs.ScalarAsync<long>(world.App, "select count(*) from generation_jobs where tenant_id = @t", new { t = world.TenantId }));
    }

    [Fact]
    public async Task ConcurrentRetriesWithOneIdempotencyKeyCreateOneJob()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var key = "burst-" + Guid.NewGuid().ToString("N");
        var body = GenerationJobs.Small("a hot-air balloon over hills");

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => GenerationJobs.PostAsync(world.Platform, body, key)));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"answered {(int)r.StatusCode}"));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        var ids = await Task.WhenAll(responses.Select(async r => (await World.Json(r))["id"]!.GetValue<Guid>()));
        Assert.Single(ids.Distinct());
        Assert.Equal(1L, await GenerationJobs.ScalarAsync<long>(world.App, "select count(*) from generation_jobs where tenant_id = @t", new { t = world.TenantId }));
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, ids[0]);
        Assert.Equal("released", GenerationJobs.State(job));
        Assert.Equal(1, job["attempts"]!.GetValue<int>());
    }

    // ---- Cancel ---------------------------------------------------------------------------------------------------------

    /// <summary>One job at a time per tenant, and long videos allowed, so a job can be caught queued or generating.</summary>
    private Task<ComplianceApp> SlowAppAsync(string name) => postgres.CreateAppAsync(name, o =>
    {
        o.Settings["Generation:MaxConcurrentJobsPerTenant"] = "1";
        o.Settings["Generation:MaxDurationSeconds"] = "600";
        o.Settings["Generation:Local:MaxDuration"] = "00:10:00";
        o.Settings["Generation:Local:Timeout"] = "00:10:00";
    });

    /// <summary>Ten minutes of 640×360 video: thousands of frames, far longer to render than any test waits.</summary>
    private static Dictionary<string, object?> Long(string prompt) => new()
    {
        ["prompt"] = prompt,
        ["durationSeconds"] = 600,
        ["size"] = "640x360",
    };

    private static Task<bool> IsRunningOnANodeAsync(ComplianceApp app, Guid id) => GenerationJobs.ScalarAsync<bool>(app,
        "select exists (select from qrtz_fired_triggers where job_group = 'generations' and job_name = @name)", new { name = id.ToString("N") });

    [Fact]
    public async Task CancelledWhileQueuedAJobNeverRuns()
    {
        var app = await SlowAppAsync("gencancelq");
        var world = await app.NewWorldAsync();
        var running = await GenerationJobs.SubmitAsync(world.Platform, Long("a slow sunrise over the desert"));
        await GenerationJobs.WaitForAsync(world.Platform, running, j => GenerationJobs.State(j) == "generating", TimeSpan.FromSeconds(60), "to generating");
        var queued = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small("a lantern in the fog"));
        await Task.Delay(TimeSpan.FromSeconds(1)); // the tenant's one slot is taken: it stays queued

        var cancel = await world.Platform.DeleteAsync($"/v1/generations/{queued}");

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", GenerationJobs.State(await World.Json(cancel)));
        Assert.Equal(HttpStatusCode.OK, (await world.Platform.DeleteAsync($"/v1/generations/{running}")).StatusCode);
        // With the slot free again, the cancelled job still never starts.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var job = await GenerationJobs.GetAsync(world.Platform, queued);
        Assert.Equal("cancelled", GenerationJobs.State(job));
        Assert.Equal(0, job["attempts"]!.GetValue<int>());
        Assert.Null(DecisionId(job, "prompt"));
        Assert.NotNull(job["finishedAt"]);
        Assert.False(await IsRunningOnANodeAsync(app, queued));
        await AssertNothingReleasedAsync(world, queued);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task CancelledWhileGeneratingAJobStopsAndIsNeverReleased()
    {
        var app = await SlowAppAsync("gencancelg");
        var world = await app.NewWorldAsync();
        var id = await GenerationJobs.SubmitAsync(world.Platform, Long("a slow sunrise over the desert"));
        await GenerationJobs.WaitForAsync(world.Platform, id, j => GenerationJobs.State(j) == "generating" && j["progress"]!.GetValue<double>() > 0,
            TimeSpan.FromSeconds(60), "to generating with progress");

        var cancel = await world.Platform.DeleteAsync($"/v1/generations/{id}");

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", GenerationJobs.State(await World.Json(cancel)));
        // The node stops the stage rather than rendering the rest of the ten minutes.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await IsRunningOnANodeAsync(app, id) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.False(await IsRunningOnANodeAsync(app, id), "the cancelled job was still running 20 s after the cancel");
        var job = await GenerationJobs.GetAsync(world.Platform, id);
        Assert.Equal("cancelled", GenerationJobs.State(job));
        Assert.Null(DecisionId(job, "frames"));
        await AssertNothingReleasedAsync(world, id);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task CancelledWhileScreeningFramesAJobStopsAndIsNeverReleased()
    {
        var app = await SlowAppAsync("gencancelf");
        var world = await app.NewWorldAsync();
        // Five minutes of tiny frames: quick to render, but some 300 sampled frames for the frame gate's models.
        var id = await GenerationJobs.SubmitAsync(world.Platform, new Dictionary<string, object?>
        {
            ["prompt"] = "rain on a window, all afternoon", ["durationSeconds"] = 300, ["size"] = "64x64",
        });
        await GenerationJobs.WaitForAsync(world.Platform, id, j => GenerationJobs.State(j) == "screening_frames", TimeSpan.FromSeconds(90), "to screening_frames");

        var cancel = await world.Platform.DeleteAsync($"/v1/generations/{id}");

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        // Uncancelled, the frame gate takes some 10 s here; the runner notices a cancel within about a second.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (await IsRunningOnANodeAsync(app, id) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.False(await IsRunningOnANodeAsync(app, id), "the cancelled job was still screening 5 s after the cancel");
        Assert.Equal("cancelled", GenerationJobs.State(await GenerationJobs.GetAsync(world.Platform, id)));
        await AssertNothingReleasedAsync(world, id);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task CancellingAFinishedJobIsAConflictAndAnotherPlatformsJobIsNotFound()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var released = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small("a windmill in spring"));
        var (_, name) = await world.CharacterAsync("Forbidden Fox");
        var blocked = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small($"{name} steals a pie"));
        Assert.Equal("released", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, released)));
        Assert.Equal("blocked", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, blocked)));

        foreach (var id in new[] { released, blocked })
        {
            var response = await world.Platform.DeleteAsync($"/v1/generations/{id}");
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal("released", GenerationJobs.State(await GenerationJobs.GetAsync(world.Platform, released)));
        Assert.Equal(HttpStatusCode.NotFound, (await world.OtherPlatform.DeleteAsync($"/v1/generations/{released}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await world.Platform.DeleteAsync($"/v1/generations/{Guid.NewGuid()}")).StatusCode);
    }

    // ---- Callbacks ------------------------------------------------------------------------------------------------------

    private static async Task<bool> SignatureVerifiesAsync(HttpClient anyone, ReceivedCallback callback)
    {
        var parts = callback.Signature!.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var keys = JsonNode.Parse(await anyone.GetStringAsync("/v1/provenance/keys"))!.AsArray();
        var key = keys.Single(k => k!["keyId"]!.GetValue<string>() == parts["kid"])!;
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(key["subjectPublicKeyInfo"]!.GetValue<string>()), out _);
        var signature = Convert.FromBase64String(parts["es256"].Replace('-', '+').Replace('_', '/').PadRight((parts["es256"].Length + 3) / 4 * 4, '='));
        var signed = Encoding.UTF8.GetBytes(parts["t"] + ".").Concat(callback.Body).ToArray();
        return ecdsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    [Fact]
    public async Task EachTerminalStateIsCalledBackOnceWithASignatureThatVerifiesWithThePublishedKey()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await using var receiver = await CallbackReceiver.StartAsync();
        var (_, name) = await world.CharacterAsync("Callback Crow");
        var released = GenerationJobs.Small("a sailboat at noon");
        released["callbackUrl"] = receiver.BaseUrl + "/hooks/released";
        var blocked = GenerationJobs.Small($"{name} in a storm");
        blocked["callbackUrl"] = receiver.BaseUrl + "/hooks/blocked";

        var releasedId = await GenerationJobs.SubmitAsync(world.Platform, released);
        var blockedId = await GenerationJobs.SubmitAsync(world.Platform, blocked);

        var anyone = world.App.CreateClient();
        foreach (var (path, id, state) in new[] { ("/hooks/released", releasedId, "released"), ("/hooks/blocked", blockedId, "blocked") })
        {
            var callback = Assert.Single(await receiver.WaitForAsync(path, 1, TimeSpan.FromSeconds(90)));
            Assert.Equal("application/json", callback.ContentType);
            var body = JsonNode.Parse(callback.Body)!;
            Assert.Equal("generation." + state, body["type"]!.GetValue<string>());
            Assert.Equal(id, body["generation"]!["id"]!.GetValue<Guid>());
            Assert.Equal(state, body["generation"]!["state"]!.GetValue<string>());
            Assert.True(await SignatureVerifiesAsync(anyone, callback), $"signature {callback.Signature} does not verify");
            // The check can fail: one changed byte of the body and it does not verify.
            var tampered = callback with { Body = [.. callback.Body[..^1], (byte)(callback.Body[^1] ^ 1)] };
            Assert.False(await SignatureVerifiesAsync(anyone, tampered));
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Single(receiver.At("/hooks/released"));
        Assert.Single(receiver.At("/hooks/blocked"));
    }

    [Fact]
    public async Task AFailingCallbackEndpointIsRetriedUntilItAnswers()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await using var receiver = await CallbackReceiver.StartAsync();
        receiver.FailFirst("/flaky", 2);
        var body = GenerationJobs.Small("a tram crossing a bridge at night");
        body["callbackUrl"] = receiver.BaseUrl + "/flaky";

        var id = await GenerationJobs.SubmitAsync(world.Platform, body);

        var calls = await receiver.WaitForAsync("/flaky", 3, TimeSpan.FromSeconds(90));
        Assert.Equal(3, calls.Count);
        Assert.All(calls, c => Assert.Equal("generation.released", JsonNode.Parse(c.Body)!["type"]!.GetValue<string>()));
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromSeconds(1), "the retry did not back off");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(3, receiver.At("/flaky").Count);
        Assert.Equal(3, await GenerationJobs.ScalarAsync<int>(world.App, "select attempts from generation_callbacks where generation_id = @id", new { id }));
        Assert.True(await GenerationJobs.ScalarAsync<bool>(world.App, "select delivered_at is not null from generation_callbacks where generation_id = @id", new { id }));
    }

    [Fact]
    public async Task CallbacksNeverReachLoopbackOrPrivateAddresses()
    {
        var app = await postgres.CreateAppAsync("genssrf", o => o.Settings["Generation:Callbacks:AllowPrivateNetworks"] = "false");
        var world = await app.NewWorldAsync();
        await using var receiver = await CallbackReceiver.StartAsync();
        var port = new Uri(receiver.BaseUrl).Port;

        // A literal address is refused at submit.
        foreach (var url in new[] { $"http://127.0.0.1:{port}/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data", $"http://[::1]:{port}/x", "http://192.168.0.10/x" })
        {
            var body = GenerationJobs.Small("a cat");
            body["callbackUrl"] = url;
            var refused = await GenerationJobs.PostAsync(world.Platform, body);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)refused.StatusCode}");
        }

        // A name is checked when connecting: localhost resolves to loopback, so nothing is ever sent.
        var named = GenerationJobs.Small("a lantern in the fog");
        named["callbackUrl"] = $"http://localhost:{port}/named";
        var id = await GenerationJobs.SubmitAsync(world.Platform, named);
        Assert.Equal("released", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, id)));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string? error = null;
        while (error is null && DateTime.UtcNow < deadline)
        {
            error = await GenerationJobs.ScalarAsync<object>(app, "select coalesce(last_error, '') from generation_callbacks where generation_id = @id", new { id }) is string e && e.Length > 0 ? e : null;
            await Task.Delay(200);
        }

        Assert.Contains("may not reach", error, StringComparison.Ordinal);
        Assert.Empty(receiver.Received);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ACancelledQueuedJobIsCalledBackToo()
    {
        var app = await SlowAppAsync("gencancelcb");
        var world = await app.NewWorldAsync();
        await using var receiver = await CallbackReceiver.StartAsync();
        var running = await GenerationJobs.SubmitAsync(world.Platform, Long("a slow sunrise over the desert"));
        await GenerationJobs.WaitForAsync(world.Platform, running, j => GenerationJobs.State(j) == "generating", TimeSpan.FromSeconds(60), "to generating");
        var body = GenerationJobs.Small("a lantern in the fog");
        body["callbackUrl"] = receiver.BaseUrl + "/cancelled";
        var queued = await GenerationJobs.SubmitAsync(world.Platform, body);

        Assert.Equal(HttpStatusCode.OK, (await world.Platform.DeleteAsync($"/v1/generations/{queued}")).StatusCode);

        var callback = Assert.Single(await receiver.WaitForAsync("/cancelled", 1, TimeSpan.FromSeconds(30)));
        Assert.Equal("generation.cancelled", JsonNode.Parse(callback.Body)!["type"]!.GetValue<string>());
        await world.Platform.DeleteAsync($"/v1/generations/{running}");
        await app.DisposeAsync();
    }

    // ---- Bad input and walls --------------------------------------------------------------------------------------------

    public static TheoryData<string, string, HttpStatusCode> BadRequests() => new()
    {
        { "duration zero", """{"prompt":"a cat","durationSeconds":0}""", HttpStatusCode.BadRequest },
        { "duration over the limit", """{"prompt":"a cat","durationSeconds":13}""", HttpStatusCode.BadRequest },
        { "negative duration", """{"prompt":"a cat","durationSeconds":-4}""", HttpStatusCode.BadRequest },
        { "width over the limit", """{"prompt":"a cat","size":"1922x1080"}""", HttpStatusCode.BadRequest },
        { "too many pixels", """{"prompt":"a cat","size":"1920x1920"}""", HttpStatusCode.BadRequest },
        { "too small for the generator", """{"prompt":"a cat","size":"32x32"}""", HttpStatusCode.BadRequest },
        { "odd size", """{"prompt":"a cat","size":"321x240"}""", HttpStatusCode.BadRequest },
        { "size not WxH", """{"prompt":"a cat","size":"big"}""", HttpStatusCode.BadRequest },
        { "size with a sign", """{"prompt":"a cat","size":"+320x240"}""", HttpStatusCode.BadRequest },
        { "size overflowing int", """{"prompt":"a cat","size":"99999999999x240"}""", HttpStatusCode.BadRequest },
        { "prompt longer than the storyboard takes", $$"""{"prompt":"{{new string('a', 4001)}}"}""", HttpStatusCode.BadRequest },
        { "missing prompt", """{"durationSeconds":2}""", HttpStatusCode.BadRequest },
        { "blank prompt", """{"prompt":"   "}""", HttpStatusCode.BadRequest },
        { "malformed json", """{"prompt":"a cat",""", HttpStatusCode.BadRequest },
        { "wrong json type", """{"prompt":"a cat","durationSeconds":"two"}""", HttpStatusCode.BadRequest },
        { "json array", """["a cat"]""", HttpStatusCode.BadRequest },
        { "bad base64", """{"prompt":"a cat","referenceImage":"not base64 at all!"}""", HttpStatusCode.BadRequest },
        { "empty base64", """{"prompt":"a cat","referenceImage":""}""", HttpStatusCode.BadRequest },
        { "non-image reference", $$"""{"prompt":"a cat","referenceImage":"{{Convert.ToBase64String("hello, I am not an image"u8.ToArray())}}"}""", HttpStatusCode.UnsupportedMediaType },
        { "truncated png reference", $$"""{"prompt":"a cat","referenceImage":"{{Convert.ToBase64String(TestImages.Read("bridge-1-original.png")[..3000])}}"}""", HttpStatusCode.BadRequest },
        { "decompression bomb reference", $$"""{"prompt":"a cat","referenceImage":"{{Convert.ToBase64String(TestImages.PngDeclaring(100_000, 100_000))}}"}""", HttpStatusCode.RequestEntityTooLarge },
        { "too many cameos", $$"""{"prompt":"a cat","account":"u","cameos":[{{string.Join(",", Enumerable.Range(0, 6).Select(_ => $"\"{Guid.NewGuid()}\""))}}]}""", HttpStatusCode.BadRequest },
        { "repeated cameo", $$"""{"prompt":"a cat","account":"u","cameos":["{{Guid.Empty}}","{{Guid.Empty}}"]}""", HttpStatusCode.BadRequest },
        { "cameo without account", $$"""{"prompt":"a cat","cameos":["{{Guid.NewGuid()}}"]}""", HttpStatusCode.BadRequest },
        { "cameo not a uuid", """{"prompt":"a cat","account":"u","cameos":["bob"]}""", HttpStatusCode.BadRequest },
        { "callback not a url", """{"prompt":"a cat","callbackUrl":"call me maybe"}""", HttpStatusCode.BadRequest },
        { "callback ftp", """{"prompt":"a cat","callbackUrl":"ftp://example.com/hook"}""", HttpStatusCode.BadRequest },
        { "callback with credentials", """{"prompt":"a cat","callbackUrl":"https://user:secret@example.com/hook"}""", HttpStatusCode.BadRequest },
        { "callback relative", """{"prompt":"a cat","callbackUrl":"/hook"}""", HttpStatusCode.BadRequest },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestsGetAClearProblemNotA500AndCreateNoJob(string what, string json, HttpStatusCode expected)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();

        var response = await world.Platform.PostAsync("/v1/generations", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.True(expected == response.StatusCode, $"{what}: expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0L, await GenerationJobs.ScalarAsync<long>(world.App, "select count(*) from generation_jobs where tenant_id = @t", new { t = world.TenantId }));
    }

    [Fact]
    public async Task AReferenceImageOfSeveralMegabytesIsAcceptedAndOneOverTheImageLimitIs413()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        // A real photo padded past 1 MiB (the API's default body limit): PNG decoders ignore bytes after IEND.
        var photo = TestImages.Read("bridge-1-original.png");
        var padded = photo.Concat(new byte[3 * 1024 * 1024]).ToArray();
        var body = GenerationJobs.Small("a quiet harbour");
        body["referenceImage"] = Convert.ToBase64String(padded);
        var id = await GenerationJobs.SubmitAsync(world.Platform, body);

        var huge = photo.Concat(new byte[21 * 1024 * 1024]).ToArray();
        body["referenceImage"] = Convert.ToBase64String(huge);
        var response = await GenerationJobs.PostAsync(world.Platform, body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await GenerationJobs.WaitFinishedAsync(world.Platform, id);
    }

    [Theory]
    [InlineData("has a space")]
    [InlineData("tab\there")]
    [InlineData("x")] // made 201 characters long below
    public async Task BadIdempotencyKeyIsRejected(string key)
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        if (key == "x")
        {
            key = new string('x', 201);
        }

        var response = await GenerationJobs.PostAsync(world.Platform, GenerationJobs.Small("a cat"), key);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0L, await GenerationJobs.ScalarAsync<long>(world.App, "select count(*) from generation_jobs where tenant_id = @t", new { t = world.TenantId }));
    }

    [Fact]
    public async Task NonJsonBodyIsUnsupported()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var response = await world.Platform.PostAsync("/v1/generations", new StringContent("prompt=a cat", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OnlyPlatformsUseGenerationsAndEachSeesOnlyItsOwnJobs()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var id = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small("a red bicycle against a wall"));
        Assert.Equal("released", GenerationJobs.State(await GenerationJobs.WaitFinishedAsync(world.Platform, id)));

        foreach (var other in new[] { world.RightsHolder, world.Auditor, world.Admin })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync("/v1/generations")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await other.PostAsJsonAsync("/v1/generations", GenerationJobs.Small("a cat"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"/v1/generations/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await other.DeleteAsync($"/v1/generations/{id}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await world.App.CreateClient().GetAsync($"/v1/generations/{id}")).StatusCode);
        var b = world.OtherPlatform;
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/generations/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/generations/{id}/content")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/generations/{id}/provenance")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.DeleteAsync($"/v1/generations/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.PostAsJsonAsync("/v1/provenance/verify", new { sha256 = new string('0', 64), generationId = id })).StatusCode);
        Assert.Empty((await World.Json(await b.GetAsync("/v1/generations")))["items"]!.AsArray());
        var mine = (await World.Json(await world.Platform.GetAsync("/v1/generations?state=released")))["items"]!.AsArray();
        Assert.Equal(id, Assert.Single(mine)!["id"]!.GetValue<Guid>());
        Assert.Empty((await World.Json(await world.Platform.GetAsync("/v1/generations?state=blocked")))["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Platform.GetAsync("/v1/generations?state=done")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Platform.GetAsync("/v1/generations?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.Platform.GetAsync("/v1/generations?cursor=nope")).StatusCode);
        // An auditor may verify any released generation's provenance by its id.
        var sha = (await GenerationJobs.GetAsync(world.Platform, id))["output"]!["sha256"]!.GetValue<string>();
        Assert.True((await World.Json(await world.Auditor.PostAsJsonAsync("/v1/provenance/verify", new { sha256 = sha, generationId = id })))["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task JobsArePagedNewestFirst()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small($"a paper crane, take {i}")));
        }

        var first = await World.Json(await world.Platform.GetAsync("/v1/generations?limit=2"));
        var second = await World.Json(await world.Platform.GetAsync($"/v1/generations?limit=2&cursor={first["nextCursor"]}"));

        var seen = first["items"]!.AsArray().Concat(second["items"]!.AsArray()).Select(j => j!["id"]!.GetValue<Guid>()).ToList();
        Assert.Equal(Enumerable.Reverse(ids), seen);
        Assert.Null(second["nextCursor"]);
        foreach (var id in ids)
        {
            await GenerationJobs.WaitFinishedAsync(world.Platform, id);
        }
    }

    // ---- Faults and time-outs -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Generation:GenerateStageTimeout", "00:00:00.010", "generator")]
    [InlineData("Generation:FrameStageTimeout", "00:00:00.010", "frame gate")]
    [InlineData("Generation:Local:Timeout", "00:00:00.010", "Timeout")]
    public async Task AStageThatRunsOutOfTimeEndsTheJobFailedWithTheReasonAndReleasesNothing(string setting, string value, string reasonFragment)
    {
        var app = await postgres.CreateAppAsync("gentimeout", o => o.Settings[setting] = value);
        var world = await app.NewWorldAsync();

        var id = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small("a clock tower at midnight"));
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("failed", GenerationJobs.State(job));
        Assert.Contains(reasonFragment, job["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(job["output"]);
        await AssertNothingReleasedAsync(world, id);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ADefaultGeneratorThatIsNotConfiguredStopsStartUpNamingTheSetting()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => postgres.CreateAppAsync("gennogen", o => o.Settings["Generation:DefaultGenerator"] = "hosted"));

        var validation = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(failure.GetBaseException());
        Assert.Contains(validation.Failures, f => f.StartsWith("Generation:DefaultGenerator:", StringComparison.Ordinal));
    }

    // ---- The hosted video API (a local stand-in honouring the contract: the only test double, at the edge) -----------

    private async Task<(ComplianceApp App, World World, FakeVideoApi Api)> HostedAsync(string name)
    {
        var api = await FakeVideoApi.StartAsync(TestVideos.Pattern());
        var app = await postgres.CreateAppAsync(name, o =>
        {
            o.Settings["Generation:DefaultGenerator"] = "hosted-video-api";
            o.Settings["Generation:Hosted:BaseUrl"] = api.BaseUrl.ToString();
            o.Settings["Generation:Hosted:ApiKey"] = FakeVideoApi.ApiKey;
            o.Settings["Generation:Hosted:Model"] = "sora-2";
            o.Settings["Generation:Hosted:PollInterval"] = "00:00:00.100";
            o.Settings["Generation:Hosted:RetryBaseDelay"] = "00:00:00.050";
        });
        return (app, await app.NewWorldAsync(), api);
    }

    private static Dictionary<string, object?> HostedJob(string prompt) => new() { ["prompt"] = prompt, ["durationSeconds"] = 4, ["size"] = "1280x720" };

    [Fact]
    public async Task AHostedProvidersVideoIsScreenedAndReleasedWithItsJobIdInTheProvenance()
    {
        var (app, world, api) = await HostedAsync("genhosted");
        await using var _ = api;

        var id = await GenerationJobs.SubmitAsync(world.Platform, HostedJob("a lighthouse on a cliff at dawn"));
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("released", GenerationJobs.State(job));
        Assert.Equal("hosted-video-api", job["generator"]!.GetValue<string>());
        Assert.Equal("sora-2", job["model"]!.GetValue<string>());
        var providerJob = job["providerJobId"]!.GetValue<string>();
        Assert.StartsWith("video_", providerJob, StringComparison.Ordinal);
        var create = Assert.Single(api.Creates);
        Assert.Equal("a lighthouse on a cliff at dawn", create.Form["prompt"]);
        Assert.Equal("4", create.Form["seconds"]);
        var video = await world.Platform.GetByteArrayAsync($"/v1/generations/{id}/content");
        Assert.Equal(api.Video, video);
        var manifest = (await World.Json(await world.Platform.GetAsync($"/v1/generations/{id}/provenance")))["manifest"]!;
        Assert.Equal(providerJob, manifest["providerJobId"]!.GetValue<string>());
        Assert.Equal("sora-2", manifest["model"]!.GetValue<string>());
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AHostedProvidersSafetyRefusalBlocksTheJobAndIsRecordedAsADecision()
    {
        var (app, world, api) = await HostedAsync("genrefusal");
        await using var _ = api;
        api.FailJobWith = ("moderation_blocked", "Your request was blocked by our moderation system.");

        var id = await GenerationJobs.SubmitAsync(world.Platform, HostedJob("a lighthouse on a cliff at dawn"));
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("blocked", GenerationJobs.State(job));
        Assert.Contains("moderation_blocked", job["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(job["providerJobId"]);
        var refusal = await DecisionAsync(world.Platform, DecisionId(job, "frames")!.Value);
        Assert.Equal("block", refusal["outcome"]!.GetValue<string>());
        var reason = Assert.Single(Reasons(refusal));
        Assert.Equal("provider-refusal-blocks", reason["rule"]!.GetValue<string>());
        Assert.Contains("blocked by our moderation system", reason["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNothingReleasedAsync(world, id);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ADurationTheHostedProviderDoesNotMakeIsRefusedAtSubmit()
    {
        var (app, world, api) = await HostedAsync("genhostedlen");
        await using var _ = api;

        var five = await GenerationJobs.PostAsync(world.Platform, new Dictionary<string, object?> { ["prompt"] = "a cat", ["durationSeconds"] = 5, ["size"] = "1280x720" });
        var eight = await GenerationJobs.PostAsync(world.Platform, new Dictionary<string, object?> { ["prompt"] = "a cat", ["durationSeconds"] = 8, ["size"] = "1280x720" });

        Assert.Equal(HttpStatusCode.BadRequest, five.StatusCode);
        Assert.Contains("4, 8, 12", await five.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, eight.StatusCode);
        Assert.DoesNotContain(api.Creates, c => c.Form.GetValueOrDefault("seconds") == "5");
        await GenerationJobs.WaitFinishedAsync(world.Platform, (await World.Json(eight))["id"]!.GetValue<Guid>());
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AHostedProvidersPermanentErrorEndsTheJobFailedWithItsMessage()
    {
        var (app, world, api) = await HostedAsync("genprovider4xx");
        await using var _ = api;
        api.CreateReplies.Enqueue(new Reply(400, FakeVideoApi.Error("Invalid value: 'prompt' is too long for this model.", "invalid_value", "invalid_request_error")));

        var id = await GenerationJobs.SubmitAsync(world.Platform, HostedJob("a lighthouse on a cliff at dawn"));
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);

        Assert.Equal("failed", GenerationJobs.State(job));
        Assert.Contains("too long for this model", job["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(api.Creates); // a 4xx is not retried
        await AssertNothingReleasedAsync(world, id);
        await app.DisposeAsync();
    }
}
