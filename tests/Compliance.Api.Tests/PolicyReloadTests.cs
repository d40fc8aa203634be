using Compliance.Api.Policies;
using Compliance.Api.Tests.Infrastructure;
using Compliance.Storage.Local;
using Microsoft.Extensions.DependencyInjection;

namespace Compliance.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PolicyReloadTests(PostgresFixture postgres) : PostgresTests
{
    private static string CopyShippedPolicies()
    {
        var source = Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, "policies");
        var target = Directory.CreateTempSubdirectory("policies-").FullName;
        foreach (var file in Directory.GetFiles(source, "*.yaml"))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    [Fact]
    public async Task ValidEditIsSwappedInAndRecordedOnTheNextDecision()
    {
        var dir = CopyShippedPolicies();
        var app = await postgres.CreateAppAsync("reload", o => { o.PoliciesDirectory = dir; o.Settings["Policies:Watch"] = "false"; });
        var world = await app.NewWorldAsync();
        var before = (await world.ScreenAsync("a calm lake"))["policyVersion"]!.GetValue<string>();

        var file = Path.Combine(dir, "10-fail-closed.policy.yaml");
        await File.WriteAllTextAsync(file, (await File.ReadAllTextAsync(file)).Replace("outcome: allow", "outcome: review", StringComparison.Ordinal));
        Assert.Empty(app.Services.GetRequiredService<PolicyStore>().Reload());

        var after = await world.ScreenAsync("a calm lake");
        Assert.NotEqual(before, after["policyVersion"]!.GetValue<string>());
        Assert.Equal("review", after["outcome"]!.GetValue<string>());
        await app.DisposeAsync();
    }

    [Fact]
    public async Task InvalidEditKeepsTheLastGoodVersionAndReportsItself()
    {
        var dir = CopyShippedPolicies();
        var app = await postgres.CreateAppAsync("badreload", o => { o.PoliciesDirectory = dir; o.Settings["Policies:Watch"] = "false"; });
        var world = await app.NewWorldAsync();
        var before = (await world.ScreenAsync("a calm lake"))["policyVersion"]!.GetValue<string>();

        var file = Path.Combine(dir, "20-licensed-characters.policy.yaml");
        await File.WriteAllTextAsync(file, (await File.ReadAllTextAsync(file)).Replace("outcome: block", "outcome: blok", StringComparison.Ordinal));
        var errors = app.Services.GetRequiredService<PolicyStore>().Reload();
        Assert.Contains(errors, e => e.File == "20-licensed-characters.policy.yaml" && e.Line > 0 && e.Message.Contains("blok", StringComparison.Ordinal));

        Assert.Equal(before, (await world.ScreenAsync("a calm lake"))["policyVersion"]!.GetValue<string>());
        var health = await app.CreateClient().GetAsync("/health/ready");
        var body = await health.Content.ReadAsStringAsync();
        Assert.Contains("Degraded", body, StringComparison.Ordinal);
        Assert.Contains("20-licensed-characters.policy.yaml:", body, StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task FileWatcherPicksUpAnEditWithoutARestart()
    {
        var dir = CopyShippedPolicies();
        var app = await postgres.CreateAppAsync("watch", o => o.PoliciesDirectory = dir);
        var store = app.Services.GetRequiredService<PolicyStore>();
        var before = store.Current.Version;

        var file = Path.Combine(dir, "10-fail-closed.policy.yaml");
        await File.AppendAllTextAsync(file, "\n# touched\n");

        // Eventual by nature (file events + debounce): poll, bounded, instead of asserting a time.
        for (var i = 0; i < 100 && store.Current.Version == before; i++)
        {
            await Task.Delay(100);
        }

        Assert.NotEqual(before, store.Current.Version);
        await app.DisposeAsync();
    }
}
