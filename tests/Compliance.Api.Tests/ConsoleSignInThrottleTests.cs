using System.Net;
using System.Text.RegularExpressions;
using Compliance.Api.Access;
using Compliance.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Compliance.Api.Tests;

/// <summary>
/// The console's sign-in stops checking keys from an address that has had too many refused (ADR-019): a throttled
/// address gets a 429 page with Retry-After even for a good key, and successful sign-ins never count.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class ConsoleSignInThrottleTests(PostgresFixture postgres) : PostgresTests
{
    [Fact]
    public async Task TooManyRefusedKeysThrottleTheAddressEvenForAGoodKey()
    {
        var shared = await postgres.SharedAppAsync();
        var app = await postgres.CreateAppOnAsync(shared.Database, o =>
        {
            o.Settings["Console:SignIn:RefusalsPerWindow"] = "3";
            o.Settings["Console:SignIn:Window"] = "01:00:00";
        });
        var good = await app.CreateKeyAsync(Roles.Auditor);
        var browser = Browser(app);

        for (var i = 0; i < 3; i++)
        {
            var refused = await SignInAsync(browser, "cmp_000000000000_notarealsecretnotarealsecret" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("not accepted", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var throttled = await SignInAsync(browser, good);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Contains("Too many keys were refused", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(throttled.Headers.RetryAfter?.Delta);
        Assert.InRange(throttled.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Assert.DoesNotContain(throttled.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("compliance_console=", StringComparison.Ordinal)));

        // The bearer API is not the console: the same key still works there.
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWithKey(good).GetAsync("/v1/decisions?limit=1")).StatusCode);
    }

    [Fact]
    public async Task SuccessfulSignInsNeverCount()
    {
        var shared = await postgres.SharedAppAsync();
        var app = await postgres.CreateAppOnAsync(shared.Database, o => o.Settings["Console:SignIn:RefusalsPerWindow"] = "1");
        var good = await app.CreateKeyAsync(Roles.Auditor);

        for (var i = 0; i < 4; i++)
        {
            var signedIn = await SignInAsync(Browser(app), good);
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(Browser(app), "cmp_000000000000_wrongwrongwrongwrongwrong")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync(Browser(app), good)).StatusCode);
    }

    [Fact]
    public async Task ASettingOutOfRangeStopsTheHostAtStart()
    {
        var shared = await postgres.SharedAppAsync();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() =>
            postgres.CreateAppOnAsync(shared.Database, o => o.Settings["Console:SignIn:RefusalsPerWindow"] = "0"));
        Assert.Contains("RefusalsPerWindow", failure.ToString(), StringComparison.Ordinal);
    }

    private static HttpClient Browser(ComplianceApp app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>What a browser does: open the form (for its antiforgery cookie and token), then post the key.</summary>
    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string key)
    {
        var form = await browser.GetStringAsync("/console/sign-in");
        var token = CsrfToken().Match(form);
        Assert.True(token.Success, "the sign-in form carries an antiforgery token");
        return await browser.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["key"] = key,
            ["__csrf"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        }));
    }

    [GeneratedRegex("<input[^>]*name=\"__csrf\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex CsrfToken();
}
