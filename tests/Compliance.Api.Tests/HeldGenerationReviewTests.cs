using System.Net;
using System.Text.Json.Nodes;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Storage.Local;
using static Compliance.Api.Tests.Infrastructure.ReviewCalls;

namespace Compliance.Api.Tests;

/// <summary>Generations held <c>in_review</c> and what a reviewer's resolution does to them.</summary>
[Collection(PostgresCollection.Name)]
public sealed class HeldGenerationReviewTests(PostgresFixture postgres) : PostgresTests
{
    /// <summary>
    /// The shipped policies plus one rule, first in file order, that sends a licensed character seen in a generated video
    /// to review: a frame-gate hold the shipped policies would not make on their own.
    /// </summary>
    private static string PoliciesHoldingLicensedVideo()
    {
        var dir = Directory.CreateTempSubdirectory("compliance-hold-policies-").FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, "policies"), "*.policy.yaml"))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(dir, "05-hold-licensed-video.policy.yaml"), """
            policy: hold-licensed-video
            rules:
              - id: licensed-character-in-video-held
                when:
                  signal: licensed_character
                  subject: video
                  grant: allowed_with_revenue_share
                outcome: review
                reason: "{entity} appears in the generated video; a person looks before it is released."
            """);
        return dir;
    }

    [Fact]
    public async Task OverturningAFrameHeldGenerationReleasesItExactlyOnceEvenWhenTwoResolutionsRace()
    {
        var app = await postgres.CreateAppAsync("heldframes", o => o.PoliciesDirectory = PoliciesHoldingLicensedVideo());
        var world = await app.NewWorldAsync();
        await using var receiver = await CallbackReceiver.StartAsync();
        var (character, name) = await world.CharacterAsync("River Spirit");
        var upload = await world.RightsHolder.PostAsync($"/v1/characters/{character}/references", TestImages.Form(TestImages.Read("bridge-1-original.png"), "bridge-1-original.png"));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        await world.GrantAsync(character, new { kind = "allow_with_revenue_share", revenueShareBasisPoints = 2500 });
        var body = GenerationJobs.Small($"{name} over a calm river at sunset");
        body["referenceImage"] = Convert.ToBase64String(TestImages.Read("bridge-1-original.png"));
        body["callbackUrl"] = receiver.BaseUrl + "/hooks/held";

        var id = await GenerationJobs.SubmitAsync(world.Platform, body);
        var job = await GenerationJobs.WaitFinishedAsync(world.Platform, id);
        Assert.True(GenerationJobs.State(job) == "in_review", job.ToJsonString());
        var frameDecision = job["decisions"]!["frames"]!.GetValue<Guid>();
        Assert.Equal(0L, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from generation_provenance where generation_id = @id", new { id }));

        var item = await ItemOfAsync(world.Auditor, world.TenantId, frameDecision);
        Assert.Equal("video", item["queue"]!.GetValue<string>());
        Assert.Equal(id, item["generationId"]!.GetValue<Guid>());
        var itemId = Id(item);
        Assert.Equal(HttpStatusCode.OK, (await ClaimAsync(world.Auditor, itemId)).StatusCode);

        var answers = await Task.WhenAll(ResolveAsync(world.Auditor, itemId, "overturn", "A licensed character, shown as licensed."),
            ResolveAsync(world.Auditor, itemId, "overturn", "Same, clicked twice."));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        var released = await GenerationJobs.GetAsync(world.Platform, id);
        Assert.Equal("released", GenerationJobs.State(released));
        Assert.Equal(1L, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from generation_provenance where generation_id = @id", new { id }));
        Assert.Equal(1L, await GenerationJobs.ScalarAsync<long>(app, "select count(*) from usage_events where generation_id = @id and character_id = @character", new { id, character }));
        // The manifest names the resolution that released it beside the gates' decisions.
        var resolution = await GenerationJobs.ScalarAsync<Guid>(app, "select resolution_entry_id from review_items where id = @itemId", new { itemId });
        var manifest = (await World.Json(await world.Platform.GetAsync($"/v1/generations/{id}/provenance")))["manifest"]!;
        Assert.Contains(resolution, manifest["decisionIds"]!.AsArray().Select(d => d!.GetValue<Guid>()));
        Assert.Equal(200, (int)(await world.Platform.GetAsync($"/v1/generations/{id}/content")).StatusCode);
        // Called back for the hold and for the release, once each.
        var calls = await receiver.WaitForAsync("/hooks/held", 2, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(["generation.in_review", "generation.released"],
            receiver.At("/hooks/held").Select(c => JsonNode.Parse(c.Body)!["type"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray());
        Assert.True(calls.Count == 2);
        var history = await HistoryAsync(world.Auditor, itemId);
        var logged = history["timeline"]!.AsArray().Last()!;
        Assert.Equal("resolved", logged["action"]!.GetValue<string>());
        Assert.Equal("released", logged["detail"]!["generationState"]!.GetValue<string>());
        Assert.True(await ChainIntactAsync(world.Auditor));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task UpholdingAPromptHeldGenerationBlocksItAndOverturningOneRunsItOnToRelease()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        await ReviewDecisionAsync(world);  // makes sure the app has its one Storm Queen
        await using var receiver = await CallbackReceiver.StartAsync();
        var upheld = GenerationJobs.Small(World.BorderlinePrompt);
        upheld["callbackUrl"] = receiver.BaseUrl + "/hooks/upheld";
        var upheldId = await GenerationJobs.SubmitAsync(world.Platform, upheld);
        var overturnedId = await GenerationJobs.SubmitAsync(world.Platform, GenerationJobs.Small(World.BorderlinePrompt));
        foreach (var held in new[] { upheldId, overturnedId })
        {
            var job = await GenerationJobs.WaitFinishedAsync(world.Platform, held);
            Assert.True(GenerationJobs.State(job) == "in_review", job.ToJsonString());
        }

        async Task<Guid> ItemOfJob(Guid jobId) =>
            Id(await ItemOfAsync(world.Auditor, world.TenantId, (await GenerationJobs.GetAsync(world.Platform, jobId))["decisions"]!["prompt"]!.GetValue<Guid>()));

        var resolved = await ClaimAndResolveAsync(world.Auditor, await ItemOfJob(upheldId), "uphold", "The queen, plainly.");
        Assert.Equal("blocked", resolved["generationState"]!.GetValue<string>());
        var blocked = await GenerationJobs.GetAsync(world.Platform, upheldId);
        Assert.Equal("blocked", GenerationJobs.State(blocked));
        Assert.DoesNotContain("plainly", blocked.ToJsonString(), StringComparison.Ordinal);  // the reason stays internal
        var types = (await receiver.WaitForAsync("/hooks/upheld", 2, TimeSpan.FromSeconds(60))).Select(c => JsonNode.Parse(c.Body)!["type"]!.GetValue<string>());
        Assert.Contains("generation.blocked", types);
        Assert.Equal(HttpStatusCode.NotFound, (await world.Platform.GetAsync($"/v1/generations/{upheldId}/content")).StatusCode);

        await ClaimAndResolveAsync(world.Auditor, await ItemOfJob(overturnedId), "overturn", "Weather, not the queen.");
        var done = await GenerationJobs.WaitForAsync(world.Platform, overturnedId, j => GenerationJobs.State(j) is "released" or "blocked" or "failed",
            TimeSpan.FromSeconds(120), "to leave review and finish");
        Assert.Equal("released", GenerationJobs.State(done));
        Assert.NotNull(done["decisions"]!["frames"]);
    }
}
