using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Compliance.WebConsole.Tests.Infrastructure;
using Compliance.Storage.Local;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Compliance.WebConsole.Tests;

/// <summary>
/// The console in a real browser (Debian's chromium through Playwright) against the real host on Kestrel and a real
/// Postgres. Every page visited is checked with axe and kept as a screenshot (TestResults/console-screenshots/).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleTests(ConsoleFixture console)
{
    private ComplianceApp App => console.App;

    [Fact]
    public async Task WrongOrRevokedKeyIsRefusedAtSignIn()
    {
        var page = await console.NewPageAsync();
        await page.GotoAsync("/console/sign-in");
        await ConsolePages.CheckAsync(page, "sign-in");

        await page.GetByLabel("API key").FillAsync("cmp_000000000000_notarealsecretnotarealsecret");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(401, refused.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not accepted");
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "compliance_console");
        await ConsolePages.CheckAsync(page, "sign-in-refused");

        var key = await App.CreateKeyAsync(Roles.Auditor);
        var admin = App.ClientWithKey(await App.CreateKeyAsync(Roles.Admin));
        await RevokeAsync(admin, key);
        await ConsolePages.SignInAsync(page, key);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not accepted");
    }

    [Fact]
    public async Task AuditorFiltersTheListAndSeesTheBlockedSpanHighlighted()
    {
        var world = await App.NewWorldAsync();
        var (_, name) = await world.CharacterAsync("Captain Lumen");
        var blocked = await world.ScreenAsync($"{name} flies over a neon city");
        Assert.Equal("block", blocked["outcome"]!.GetValue<string>());
        var allowed = await world.ScreenAsync("a quiet lake at dawn");
        Assert.Equal("allow", allowed["outcome"]!.GetValue<string>());
        var span = blocked["reasons"]![0]!["signal"]!["evidence"]!["matchedText"]!.GetValue<string>();

        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, await App.CreateKeyAsync(Roles.Auditor));
        Assert.EndsWith("/console", page.Url);
        await ConsolePages.CheckAsync(page, "auditor-home");

        await page.GotoAsync("/console/decisions");
        await ConsolePages.CheckAsync(page, "decisions");
        await page.GetByLabel("Outcome").SelectOptionAsync("block");
        await page.GetByLabel("Tenant id").FillAsync(world.TenantId.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await page.WaitForURLAsync(u => u.Contains("outcome=block", StringComparison.Ordinal));
        var rows = page.Locator("tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("block");
        await ConsolePages.CheckAsync(page, "decisions-filtered");

        await rows.First.GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForURLAsync($"**/console/decisions/{blocked["decisionId"]!.GetValue<Guid>()}");
        await Assertions.Expect(page.Locator(".prompt mark")).ToHaveTextAsync(span);
        await Assertions.Expect(page.GetByText(blocked["policyVersion"]!.GetValue<string>())).ToBeVisibleAsync();
        await ConsolePages.CheckAsync(page, "decision-prompt");
    }

    [Fact]
    public async Task BadFiltersAnswer400WithTheirErrors()
    {
        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, await App.CreateKeyAsync(Roles.Auditor));
        var response = await page.GotoAsync("/console/decisions?tenant=not-a-uuid&from=yesterday&outcome=maybe&cursor=-4");
        Assert.Equal(400, response!.Status);
        var alert = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("Tenant must be a tenant id");
        await Assertions.Expect(alert).ToContainTextAsync("From must be a date");
        await Assertions.Expect(alert).ToContainTextAsync("Outcome must be");
        await Assertions.Expect(alert).ToContainTextAsync("page link is not valid");
        Assert.Equal(404, (await page.GotoAsync($"/console/decisions/{Guid.NewGuid()}"))!.Status);
    }

    [Fact]
    public async Task VideoDecisionShowsTheFrameWithItsFaceBoxBesideTheMatchedReference()
    {
        var world = await App.NewWorldAsync();
        var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Vera Frame" })))["id"]!.GetValue<Guid>();
        var owner = App.ClientWithKey(await App.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile));
        var enrol = await owner.PostAsync("/v1/likeness/enrolments", TestImages.Form(File.ReadAllBytes(Face("astronaut.png")), "me.png"));
        Assert.Equal(HttpStatusCode.Created, enrol.StatusCode);
        var screened = await world.Platform.PostAsync("/v1/screen/video", TestImages.Form(TestVideos.PatternThenImage(Face("astronaut.png")), "clip.mp4", ("account", "viewer-9")));
        Assert.Equal(HttpStatusCode.OK, screened.StatusCode);
        var decision = await World.Json(screened);
        var face = decision["reasons"]!.AsArray().Select(r => r!["signal"]).First(s => s?["evidence"]?["faceBox"] is not null)!;
        var box = face["evidence"]!["faceBox"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();

        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, await App.CreateKeyAsync(Roles.Auditor));
        await page.GotoAsync($"/console/decisions/{decision["decisionId"]!.GetValue<Guid>()}");
        var drawn = page.Locator("svg.frame rect.face-box").First;
        await Assertions.Expect(drawn).ToBeVisibleAsync();
        Assert.Equal(box[0].ToString(System.Globalization.CultureInfo.InvariantCulture), await drawn.GetAttributeAsync("x"));
        Assert.Equal(box[2].ToString(System.Globalization.CultureInfo.InvariantCulture), await drawn.GetAttributeAsync("width"));
        var thumb = page.Locator("img.thumb").First;
        await Assertions.Expect(thumb).ToBeVisibleAsync();
        Assert.True(await thumb.EvaluateAsync<int>("img => img.naturalWidth") > 0, "the matched reference's thumbnail did not load");
        await ConsolePages.CheckAsync(page, "decision-video");

        // A likeness owner sees the decision in their feed, and their own enrolment's thumbnail only.
        var ownerPage = await console.NewPageAsync();
        await ConsolePages.SignInAsync(ownerPage, await App.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile));
        await ownerPage.GotoAsync("/console/likeness");
        await Assertions.Expect(ownerPage.Locator("table").First).ToContainTextAsync("video");
        await ConsolePages.CheckAsync(ownerPage, "likeness");
    }

    [Fact]
    public async Task AuditorResolvesAReviewWithAReason()
    {
        var world = await App.NewWorldAsync();
        await world.StormQueenAsync();
        var decision = await world.ScreenAsync(World.BorderlinePrompt);
        Assert.Equal("review", decision["outcome"]!.GetValue<string>());
        var id = decision["decisionId"]!.GetValue<Guid>();
        var sequence = decision["sequence"]!.GetValue<long>();

        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, await App.CreateKeyAsync(Roles.Auditor, tenantId: world.TenantId));
        await page.GotoAsync("/console/reviews");
        await ConsolePages.CheckAsync(page, "reviews");
        var item = page.Locator("section.card").Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = $"Decision {sequence}" }) });
        await item.GetByLabel("Uphold (block)").CheckAsync();
        await item.GetByLabel("Reason (internal)").FillAsync("Reads as the Storm Queen herself; no grant for this platform.");
        await item.GetByRole(AriaRole.Button, new() { Name = "Resolve item" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("resolved: uphold");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = $"Decision {sequence}" })).ToHaveCountAsync(0);

        var review = await World.Json(await world.Auditor.GetAsync($"/v1/decisions/{id}/review"));
        Assert.Equal("block", review["outcome"]!.GetValue<string>());
        Assert.Contains("Storm Queen", review["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        await page.GotoAsync($"/console/decisions/{id}");
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("Reads as the Storm Queen herself");
    }

    [Fact]
    public async Task RightsHolderRevokesAGrantAndTheNextScreeningBlocks()
    {
        var world = await App.NewWorldAsync();
        var (character, name) = await world.CharacterAsync("Nova Ranger");
        await world.GrantAsync(character, new { kind = "allow" });
        Assert.Equal("allow", (await world.ScreenAsync($"{name} waves hello"))["outcome"]!.GetValue<string>());

        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, await App.CreateKeyAsync(Roles.RightsHolder, rightsHolderId: world.RightsHolderId));
        await page.GotoAsync("/console/catalog");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = name })).ToBeVisibleAsync();
        await ConsolePages.CheckAsync(page, "catalog");
        await page.GotoAsync("/console/statements");
        await ConsolePages.CheckAsync(page, "statements");

        await page.GotoAsync("/console/grants");
        await ConsolePages.CheckAsync(page, "grants");
        await page.GetByLabel("Reason (optional)").First.FillAsync("campaign over");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke allow grant of {name}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Grant revoked");
        await Assertions.Expect(page.Locator("tbody")).ToContainTextAsync("revoked");

        var next = await world.ScreenAsync($"{name} waves hello");
        Assert.Equal("block", next["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task FormPostWithoutTheAntiforgeryTokenIsRefused()
    {
        var world = await App.NewWorldAsync();
        var (character, name) = await world.CharacterAsync("Quiet Comet");
        var grant = await world.GrantAsync(character, new { kind = "allow" });
        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, await App.CreateKeyAsync(Roles.RightsHolder, rightsHolderId: world.RightsHolderId));

        // The session cookie goes with the request; the form's token does not.
        var forged = await page.Context.APIRequest.PostAsync("/console/grants?handler=Revoke", new APIRequestContextOptions
        {
            Form = page.Context.APIRequest.CreateFormData().Set("grantId", grant.ToString()).Set("reason", "forged"),
        });
        Assert.Equal(400, forged.Status);
        var after = await world.ScreenAsync($"{name} waves hello");
        Assert.True(after["outcome"]!.GetValue<string>() == "allow", $"the grant should still hold: {after.ToJsonString()}");

        var signOut = await page.Context.APIRequest.PostAsync("/console/sign-out", new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.Equal(400, signOut.Status);
    }

    [Fact]
    public async Task PlatformKeyCannotOpenAuditorPagesAndSeesOnlyItsOwnDecisions()
    {
        var world = await App.NewWorldAsync();
        var mine = await world.ScreenAsync("a lighthouse in a storm");
        var theirs = await world.ScreenAsync("a lighthouse in the fog", world.OtherPlatform);
        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, await App.CreateKeyAsync(Roles.Platform, tenantId: world.TenantId));

        foreach (var auditorPage in new[] { "/console/reviews", "/console/replay", "/console/charts", "/console/chain", "/console/catalog", "/console/likeness" })
        {
            var response = await page.GotoAsync(auditorPage);
            Assert.Equal(403, response!.Status);
        }

        await ConsolePages.CheckAsync(page, "forbidden");
        Assert.Equal(200, (await page.GotoAsync($"/console/decisions/{mine["decisionId"]}"))!.Status);
        Assert.Equal(404, (await page.GotoAsync($"/console/decisions/{theirs["decisionId"]}"))!.Status);
        Assert.Equal(400, (await page.GotoAsync($"/console/decisions?tenant={world.OtherTenantId}"))!.Status);
        await page.GotoAsync("/console/decisions");
        await Assertions.Expect(page.GetByLabel("Tenant id")).ToHaveCountAsync(0);
        foreach (var tenant in await page.Locator("tbody tr td.mono").AllInnerTextsAsync())
        {
            Assert.Equal(world.TenantId.ToString(), tenant);
        }
    }

    [Fact]
    public async Task SignOutEndsTheSessionAndARevokedKeyEndsItToo()
    {
        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, await App.CreateKeyAsync(Roles.Auditor));
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "compliance_console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        var home = await page.GotoAsync("/console/charts");
        Assert.Equal(200, home!.Status);
        Assert.Contains("script-src", home.Headers["content-security-policy"] + " script-src", StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", home.Headers["content-security-policy"], StringComparison.Ordinal);
        await ConsolePages.CheckAsync(page, "charts");
        await page.GotoAsync("/console/chain");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify the whole log now" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "The log is intact" })).ToBeVisibleAsync();
        await ConsolePages.CheckAsync(page, "chain");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Signed out" })).ToBeVisibleAsync();
        await page.GotoAsync("/console/decisions");
        Assert.Contains("/console/sign-in", page.Url, StringComparison.Ordinal);

        // A session outlives nothing: revoking its key signs it out on the next request.
        var key = await App.CreateKeyAsync(Roles.Auditor);
        var other = await console.NewPageAsync();
        await ConsolePages.SignInAsync(other, key);
        Assert.Equal(200, (await other.GotoAsync("/console/decisions"))!.Status);
        await RevokeAsync(App.ClientWithKey(await App.CreateKeyAsync(Roles.Admin)), key);
        await other.GotoAsync("/console/decisions");
        Assert.Contains("/console/sign-in", other.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LikenessOwnerSetsConsentThroughTheApisOwnRules()
    {
        var world = await App.NewWorldAsync();
        var profile = (await World.Json(await world.Admin.PostAsJsonAsync("/v1/admin/likeness-profiles", new { displayName = "Iris Consent" })))["id"]!.GetValue<Guid>();
        var key = await App.CreateKeyAsync(Roles.LikenessOwner, likenessProfileId: profile);
        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, key);
        await page.GotoAsync("/console/likeness");

        await page.GetByLabel("Consent").SelectOptionAsync("tenant");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Save consent" }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(400, refused.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("tenant consent needs allowedTenants");

        await page.GetByLabel("Platform ids, one a line").FillAsync(world.TenantId.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Save consent" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Consent saved");
        var consent = JsonNode.Parse(await App.ClientWithKey(key).GetStringAsync("/v1/likeness/consent"))!.AsArray()[0]!;
        Assert.Equal("tenant", consent["mode"]!.GetValue<string>());
        Assert.Equal(world.TenantId, consent["allowedTenants"]![0]!.GetValue<Guid>());
        await ConsolePages.CheckAsync(page, "likeness-consent");
    }

    [Fact]
    public async Task PlatformAppealsABlockAndSeesTheOutcomeAndPublicNoteButNotTheInternalReason()
    {
        var world = await App.NewWorldAsync();
        var (_, name) = await world.CharacterAsync("Harbor Sprite");
        var blocked = await world.ScreenAsync($"{name} dances on a pier");
        Assert.Equal("block", blocked["outcome"]!.GetValue<string>());
        var id = blocked["decisionId"]!.GetValue<Guid>();
        var platformKey = await App.CreateKeyAsync(Roles.Platform, tenantId: world.TenantId);

        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, platformKey);
        await page.GotoAsync($"/console/decisions/{id}");
        // A second tab opened before the appeal is filed keeps its form: its filing is the second one.
        var stale = await page.Context.NewPageAsync();
        await stale.GotoAsync($"/console/decisions/{id}");
        await ConsolePages.CheckAsync(page, "decision-appeal-form");

        var statement = page.GetByLabel("Appeal statement (why this block is wrong)");
        await statement.FillAsync("   ");
        var blank = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "File appeal" }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(400, blank.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Statement is required");

        await statement.FillAsync("This is our own mascot, licensed in writing last spring.");
        await page.GetByRole(AriaRole.Button, new() { Name = "File appeal" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Appeal filed");
        var appeal = page.Locator("div.appeal");
        await Assertions.Expect(appeal).ToContainTextAsync("open");
        await Assertions.Expect(appeal).ToContainTextAsync("our own mascot");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "File appeal" })).ToHaveCountAsync(0);
        await ConsolePages.CheckAsync(page, "decision-appeal-open");

        await stale.GetByLabel("Appeal statement (why this block is wrong)").FillAsync("Filing again from another tab.");
        var second = await stale.RunAndWaitForResponseAsync(
            () => stale.GetByRole(AriaRole.Button, new() { Name = "File appeal" }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(409, second.Status);
        await Assertions.Expect(stale.GetByRole(AriaRole.Alert)).ToContainTextAsync("An appeal is already open.");
        var appeals = JsonNode.Parse(await App.ClientWithKey(platformKey).GetStringAsync($"/v1/decisions/{id}/appeals"))!.AsArray();
        Assert.Single(appeals);

        const string internalReason = "INTERNAL ONLY: checked the licence register by hand.";
        const string publicNote = "Overturned: the platform holds a written licence for this character.";
        var auditor = await console.NewPageAsync();
        await ConsolePages.SignInAsync(auditor, await App.CreateKeyAsync(Roles.Auditor, tenantId: world.TenantId));
        await auditor.GotoAsync("/console/reviews?kind=appeal");
        var item = auditor.Locator("section.card").Filter(new() { Has = auditor.GetByRole(AriaRole.Link, new() { Name = $"decision {id.ToString()[..8]}" }) });
        await Assertions.Expect(item).ToContainTextAsync("our own mascot");
        await item.GetByLabel("Overturn (allow)").CheckAsync();
        await item.GetByLabel("Reason (internal)").FillAsync(internalReason);
        await item.GetByLabel("Public note (optional)").FillAsync(publicNote);
        await item.GetByRole(AriaRole.Button, new() { Name = "Resolve item" }).ClickAsync();
        await Assertions.Expect(auditor.GetByRole(AriaRole.Status)).ToContainTextAsync("resolved: overturn");

        await page.ReloadAsync();
        await Assertions.Expect(appeal).ToContainTextAsync("resolved");
        await Assertions.Expect(appeal).ToContainTextAsync("allow");
        await Assertions.Expect(appeal).ToContainTextAsync("overturn");
        await Assertions.Expect(appeal).ToContainTextAsync(publicNote);
        Assert.DoesNotContain("INTERNAL ONLY", await page.ContentAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "File appeal" })).ToHaveCountAsync(0);
        await ConsolePages.CheckAsync(page, "decision-appeal-resolved");
    }

    [Fact]
    public async Task AuditorReplaysTheActivePolicyWithoutChangeAndAStricterOneWithATransition()
    {
        var world = await App.NewWorldAsync();
        var (licensedId, licensed) = await world.CharacterAsync("Replay Lantern");
        await world.GrantAsync(licensedId, new { kind = "allow" });
        var allowed = await world.ScreenAsync($"{licensed} rides through a field of stars");
        Assert.Equal("allow", allowed["outcome"]!.GetValue<string>());
        Assert.Equal("allow", (await world.ScreenAsync("a quiet meadow"))["outcome"]!.GetValue<string>());
        var shipped = Directory.GetFiles(Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, "policies"), "*.policy.yaml");

        var page = await console.NewPageAsync();
        await ConsolePages.SignInAsync(page, await App.CreateKeyAsync(Roles.Auditor, tenantId: world.TenantId));
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Policy replay" }).ClickAsync();
        await page.WaitForURLAsync("**/console/replay");
        await ConsolePages.CheckAsync(page, "replay");

        // The active set over the last hour (the form's default range): nothing changes.
        await page.GetByLabel("Policy files (*.policy.yaml)").SetInputFilesAsync(shipped);
        await page.GetByRole(AriaRole.Button, new() { Name = "Run replay" }).ClickAsync();
        var report = page.GetByRole(AriaRole.Heading, new() { Level = 2, Name = "Report:" });
        await Assertions.Expect(report).ToHaveTextAsync("Report: 0 changed of 2 replayed");
        await Assertions.Expect(page.Locator("table.transitions tbody")).ToContainTextAsync("unchanged");
        await Assertions.Expect(page.Locator("table.examples")).ToHaveCountAsync(0);
        await ConsolePages.CheckAsync(page, "replay-active");

        // A stricter candidate: a rule first in order that blocks every named character.
        await page.GetByLabel("Policy files (*.policy.yaml)").SetInputFilesAsync(shipped);
        await page.GetByLabel("Pasted file's name (NN-name.policy.yaml)").FillAsync("05-stricter.policy.yaml");
        await page.GetByLabel("Pasted policy (YAML)").FillAsync("""
            policy: stricter
            rules:
              - id: every-named-character-blocks
                when:
                  signal: licensed_character
                  subject: prompt
                outcome: block
                reason: "{entity} is named; this candidate blocks every named character."
            """);
        await page.GetByRole(AriaRole.Button, new() { Name = "Run replay" }).ClickAsync();
        await Assertions.Expect(report).ToHaveTextAsync("Report: 1 changed of 2 replayed");
        await Assertions.Expect(page.Locator("table.transitions tbody")).ToContainTextAsync("allow → block");
        await Assertions.Expect(page.Locator("table").Filter(new() { HasText = "every-named-character-blocks" }).First).ToBeVisibleAsync();
        var example = page.Locator("table.examples").GetByRole(AriaRole.Link);
        await Assertions.Expect(example).ToHaveCountAsync(1);
        await ConsolePages.CheckAsync(page, "replay-stricter");
        await example.ClickAsync();
        await page.WaitForURLAsync($"**/console/decisions/{allowed["decisionId"]!.GetValue<Guid>()}");

        // A broken candidate is a 400 that names the file and the line.
        await page.GotoAsync("/console/replay");
        await page.GetByLabel("Pasted file's name (NN-name.policy.yaml)").FillAsync("07-broken.policy.yaml");
        await page.GetByLabel("Pasted policy (YAML)").FillAsync("policy: broken\nrules:\n  - id: no-outcome\n    when:\n      signal: licensed_character\n    outcome: perhaps\n");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Run replay" }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(400, refused.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("07-broken.policy.yaml:6:");
        await ConsolePages.CheckAsync(page, "replay-invalid");

        // Admins replay too; a rights holder may not.
        var admin = await console.NewPageAsync();
        await ConsolePages.SignInAsync(admin, await App.CreateKeyAsync(Roles.Admin));
        await admin.GetByRole(AriaRole.Link, new() { Name = "Policy replay" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Heading, new() { Level = 1, Name = "Policy replay" })).ToBeVisibleAsync();
        var holder = await console.NewPageAsync();
        await ConsolePages.SignInAsync(holder, await App.CreateKeyAsync(Roles.RightsHolder, rightsHolderId: world.RightsHolderId));
        Assert.Equal(403, (await holder.GotoAsync("/console/replay"))!.Status);
    }

    private static string Face(string name) =>
        Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, ".data", "test-images", "faces", name);

    private async Task RevokeAsync(HttpClient admin, string key)
    {
        var id = (await App.Services.GetRequiredService<ApiKeyStore>().FindAsync(key, default))!.Id;
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/v1/admin/keys/{id}")).StatusCode);
    }
}
