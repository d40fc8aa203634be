using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Policies;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Storage.Decisions;
using Compliance.Storage.Local;
using Microsoft.Extensions.DependencyInjection;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PolicyReplayTests(PostgresFixture postgres) : PostgresTests
{
    private static readonly string Policies = Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, "policies");

    /// <summary>A rule, first in file order, that blocks every character named in a prompt, licensed or not.</summary>
    private const string Stricter = """
        policy: stricter
        rules:
          - id: every-named-character-blocks
            when:
              signal: licensed_character
              subject: prompt
            outcome: block
            reason: "{entity} is named; this candidate blocks every named character."
        """;

    private static List<object> ShippedFiles(params (string Name, string Content)[] extra) =>
        [.. Directory.GetFiles(Policies, "*.policy.yaml").Select(p => (object)new { name = Path.GetFileName(p), content = File.ReadAllText(p) }),
         .. extra.Select(e => (object)new { name = e.Name, content = e.Content })];

    private static async Task<JsonObject> ReplayAsync(HttpClient client, Guid tenant, List<object> files, DateTimeOffset from, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.PostAsJsonAsync("/v1/policies/replay", new { files, from, to = DateTimeOffset.UtcNow.AddMinutes(1), tenantId = tenant, examples = 10 });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>A meadow (allowed, nothing signalled), an unlicensed character (blocked) and a licensed one (allowed).</summary>
    private static async Task ScreenThreeAsync(World world)
    {
        var (_, unlicensed) = await world.CharacterAsync("Replay Comet");
        var (licensedId, licensed) = await world.CharacterAsync("Replay Knight");
        await world.GrantAsync(licensedId, new { kind = "allow" });
        Assert.Equal("allow", (await world.ScreenAsync("a quiet meadow"))["outcome"]!.GetValue<string>());
        Assert.Equal("block", (await world.ScreenAsync($"{unlicensed} flies over a neon city"))["outcome"]!.GetValue<string>());
        Assert.Equal("allow", (await world.ScreenAsync($"{licensed} rides through a field of stars"))["outcome"]!.GetValue<string>());
    }

    private static long Transition(JsonObject report, string from, string to) =>
        report["transitions"]!.AsArray().FirstOrDefault(t => t!["from"]!.GetValue<string>() == from && t["to"]!.GetValue<string>() == to)?["count"]!.GetValue<long>() ?? 0;

    [Fact]
    public async Task ReplayingTheActivePolicyOverHistoryChangesNothingAndTouchesNothing()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        await ScreenThreeAsync(world);
        await ReviewCalls.ReviewDecisionAsync(world);
        var head = await GenerationJobs.ScalarAsync<long>(world.App, "select max(seq) from decisions");

        var report = await ReplayAsync(world.Auditor, world.TenantId, ShippedFiles(), from);

        Assert.Equal(4L, report["decisions"]!.GetValue<long>());
        Assert.Equal(4L, report["replayed"]!.GetValue<long>());
        Assert.Equal(0L, report["changed"]!.GetValue<long>());
        Assert.Equal(0L, report["notReplayable"]!.GetValue<long>());
        Assert.True(report["complete"]!.GetValue<bool>());
        Assert.Equal(report["activePolicyVersion"]!.GetValue<string>(), report["candidatePolicyVersion"]!.GetValue<string>());
        Assert.Equal(2L, Transition(report, "allow", "allow"));
        Assert.Equal(1L, Transition(report, "block", "block"));
        Assert.Equal(1L, Transition(report, "review", "review"));
        Assert.Empty(report["examples"]!.AsArray());
        Assert.All(report["byRule"]!.AsArray(), r => Assert.Equal(r!["before"]!.GetValue<long>(), r["after"]!.GetValue<long>()));
        // Replay writes nothing: the log's head is where it was.
        Assert.Equal(head, await GenerationJobs.ScalarAsync<long>(world.App, "select max(seq) from decisions"));
    }

    [Fact]
    public async Task ReplayingAStricterPolicyReportsTheTransitionsItWouldCauseWithExamples()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        await ScreenThreeAsync(world);

        var report = await ReplayAsync(world.Admin, world.TenantId, ShippedFiles(("00-stricter.policy.yaml", Stricter)), from);

        Assert.Equal(3L, report["replayed"]!.GetValue<long>());
        Assert.Equal(1L, Transition(report, "allow", "allow"));   // the meadow: nothing signalled
        Assert.Equal(1L, Transition(report, "allow", "block"));   // the licensed character
        Assert.Equal(1L, Transition(report, "block", "block"));   // the unlicensed one, now by the new rule
        Assert.Equal(2L, report["changed"]!.GetValue<long>());
        var rule = report["byRule"]!.AsArray().Single(r => r!["rule"]!.GetValue<string>() == "every-named-character-blocks")!;
        Assert.Equal(0L, rule["before"]!.GetValue<long>());
        Assert.Equal(2L, rule["after"]!.GetValue<long>());
        var example = report["examples"]!.AsArray().Single(e => e!["from"]!.GetValue<string>() == "allow")!;
        Assert.Equal("block", example["to"]!.GetValue<string>());
        Assert.Equal(["every-named-character-blocks"], example["rulesAfter"]!.AsArray().Select(r => r!.GetValue<string>()).ToArray());
        var link = example["link"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await world.Auditor.GetAsync(link)).StatusCode);
        Assert.NotEqual(report["activePolicyVersion"]!.GetValue<string>(), report["candidatePolicyVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task DecisionsWhoseRecordLacksWhatTheEngineNeedsAreCountedAsNotReplayableWithTheReason()
    {
        var app = await postgres.CreateAppAsync("replaylegacy");
        var world = await app.NewWorldAsync();
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        Assert.Equal("allow", (await world.ScreenAsync("a quiet meadow"))["outcome"]!.GetValue<string>());
        // Records in older shapes, appended as the log appends anything.
        var log = app.Services.GetRequiredService<DecisionLog>();
        async Task Legacy(string outcome, string payload) =>
            await log.AppendAsync(new DecisionEntry(Guid.CreateVersion7(), world.TenantId, "prompt", outcome, "sha256:old", ["unlicensed-character-blocks"], [], [],
                DateTimeOffset.UtcNow, payload));
        await Legacy("block", """{"subject":"prompt","outcome":"block","policyVersion":"sha256:old","reasons":[{"rule":"unlicensed-character-blocks","outcome":"block","message":"m"}]}""");
        await Legacy("block", """{"subject":"prompt","outcome":"block","policyVersion":"sha256:old","reasons":[{"rule":"unlicensed-character-blocks","outcome":"block","message":"m","signal":{"classifier":"names-text","kind":"licensed_character","score":1,"evidence":{}}}]}""");
        await Legacy("allow", """{"subject":"prompt","outcome":"allow","reasons":[]}""");

        var report = await ReplayAsync(world.Auditor, world.TenantId, ShippedFiles(), from);

        Assert.Equal(4L, report["decisions"]!.GetValue<long>());
        Assert.Equal(1L, report["replayed"]!.GetValue<long>());
        Assert.Equal(3L, report["notReplayable"]!.GetValue<long>());
        var reasons = report["notReplayableReasons"]!.AsArray().ToDictionary(r => r!["reason"]!.GetValue<string>(), r => r!["count"]!.GetValue<long>());
        Assert.Equal(1L, reasons["a reason has no signal (recorded before signals were kept)"]);
        Assert.Equal(1L, reasons["a signal lacks its classifier, model version, kind, score or evidence"]);
        Assert.Equal(1L, reasons["the record has no policy version"]);
        Assert.True(await ReviewCalls.ChainIntactAsync(world.Auditor));
        await app.DisposeAsync();
    }

    [Fact]
    public async Task AnInvalidPolicyOrAnUnboundedRangeIsA400NamingTheProblem()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var broken = ShippedFiles(("00-broken.policy.yaml", "policy: broken\nrules:\n  - id: x\n    when: {signal: licensed_character}\n    outcome: maybe\n    reason: r\n"));

        var bad = await ReplayAsync(world.Auditor, world.TenantId, broken, DateTimeOffset.UtcNow.AddDays(-1), HttpStatusCode.BadRequest);
        Assert.StartsWith("00-broken.policy.yaml:5:", bad["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("00-broken.policy.yaml", bad["errors"]!.AsArray()[0]!["file"]!.GetValue<string>());

        await ReplayAsync(world.Auditor, world.TenantId, ShippedFiles(("../escape.policy.yaml", Stricter)), DateTimeOffset.UtcNow.AddDays(-1), HttpStatusCode.BadRequest);
        await ReplayAsync(world.Auditor, world.TenantId, ShippedFiles(), DateTimeOffset.UtcNow.AddDays(-400), HttpStatusCode.BadRequest);
        await ReplayAsync(world.Auditor, world.TenantId, [], DateTimeOffset.UtcNow.AddDays(-1), HttpStatusCode.BadRequest);
        var noRange = await world.Auditor.PostAsJsonAsync("/v1/policies/replay", new { files = ShippedFiles() });
        Assert.Equal(HttpStatusCode.BadRequest, noRange.StatusCode);
        var backwards = await world.Auditor.PostAsJsonAsync("/v1/policies/replay", new { files = ShippedFiles(), from = DateTimeOffset.UtcNow, to = DateTimeOffset.UtcNow.AddDays(-1) });
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Equal("application/problem+json", backwards.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OnlyAuditorsAndAdminsReplayAndAScopedAuditorOnlyItsOwnTenant()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        var body = new { files = ShippedFiles(), from, to = DateTimeOffset.UtcNow.AddMinutes(1) };
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Platform.PostAsJsonAsync("/v1/policies/replay", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.RightsHolder.PostAsJsonAsync("/v1/policies/replay", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await world.App.CreateClient().PostAsJsonAsync("/v1/policies/replay", body)).StatusCode);
        var scoped = world.App.ClientWithKey(await world.App.CreateKeyAsync(Roles.Auditor, world.OtherTenantId));
        await ReplayAsync(scoped, world.TenantId, ShippedFiles(), from, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await scoped.PostAsJsonAsync("/v1/policies/replay", body)).StatusCode);
    }

    [Fact]
    public async Task TheReplayCommandPrintsTheSameReportAndRefusesAnInvalidPolicyDirectory()
    {
        var world = await (await postgres.SharedAppAsync()).NewWorldAsync();
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        await ScreenThreeAsync(world);
        var dir = Directory.CreateTempSubdirectory("compliance-replay-cli-").FullName;
        foreach (var file in Directory.GetFiles(Policies, "*.policy.yaml"))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(dir, "00-stricter.policy.yaml"), Stricter);
        string[] Args(string policies) =>
        [
            "replay", "--policies", policies, "--from", from.ToString("O", CultureInfo.InvariantCulture),
            "--to", DateTimeOffset.UtcNow.AddMinutes(1).ToString("O", CultureInfo.InvariantCulture), "--tenant", world.TenantId.ToString(),
            $"--ConnectionStrings:Compliance={world.App.Database.App}",
        ];

        var output = new StringWriter();
        Assert.Equal(0, await ReplayCommand.RunAsync(Args(dir), output));
        var report = JsonNode.Parse(output.ToString())!.AsObject();
        Assert.Equal(3L, report["replayed"]!.GetValue<long>());
        Assert.Equal(1L, Transition(report, "allow", "block"));

        File.WriteAllText(Path.Combine(dir, "00-stricter.policy.yaml"), "policy: stricter\nrules: nope\n");
        Assert.Equal(2, await ReplayCommand.RunAsync(Args(dir), new StringWriter()));
        Assert.Equal(2, await ReplayCommand.RunAsync(["replay", "--from", "yesterday"], new StringWriter()));
    }
}
