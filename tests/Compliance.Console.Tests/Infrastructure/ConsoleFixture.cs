using Compliance.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Compliance.WebConsole.Tests.Infrastructure;

/// <summary>
/// One real host on real Kestrel (a browser needs a socket), on a real Postgres, and one headless Debian chromium driven
/// by Playwright, for the whole browser test run. Tests isolate themselves with their own tenants, holders and keys.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium; Playwright's own browser download is never used.</summary>
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>Screenshots of every page the tests visit, kept as test artefacts (see docs/console.md).</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(
        Compliance.Storage.Local.RepositoryRoot.Find(AppContext.BaseDirectory)!, "TestResults", "console-screenshots");

    private readonly PostgresFixture _postgres = new();
    private IPlaywright? _playwright;

    public ComplianceApp App { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing: run scripts/setup.sh (it installs Debian's chromium).");
        }

        Directory.CreateDirectory(ScreenshotFolder);
        await _postgres.InitializeAsync();
        App = await _postgres.CreateAppAsync("console", o => o.Kestrel = true);
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // The machine's network is closed: no background fetches, updates or sync; a sandbox needs a non-root user.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser context (its own cookie jar: one signed-in person).</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString().TrimEnd('/'), ViewportSize = new() { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await _postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
