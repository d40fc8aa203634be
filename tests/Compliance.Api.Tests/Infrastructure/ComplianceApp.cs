using System.Net.Http.Headers;
using System.Net.Http.Json;
using Compliance.Api.Access;
using Compliance.Storage.Local;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Compliance.Api.Tests.Infrastructure;

public sealed class ComplianceAppOptions(DatabaseConnections database)
{
    public DatabaseConnections Database { get; } = database;

    public string? PoliciesDirectory { get; set; }

    public Action<IServiceCollection>? Services { get; set; }

    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>Serve over real Kestrel on a loopback port instead of the in-memory test server (for limits Kestrel enforces itself).</summary>
    public bool Kestrel { get; set; }
}

/// <summary>The real host (Program) on a real database, driven over in-memory HTTP.</summary>
public sealed class ComplianceApp(ComplianceAppOptions options) : WebApplicationFactory<Program>
{
    /// <summary>Where this test run keeps files the apps write outside the database (removed when the run ends).</summary>
    public static string DataRoot { get; } = Path.Combine(Path.GetTempPath(), $"compliance-tests-{Environment.ProcessId}");

    public DatabaseConnections Database => options.Database;

    public Task StartAsync()
    {
        if (options.Kestrel)
        {
            UseKestrel(0);
            StartServer(); // builds and starts the host on Kestrel: migrations run here
        }
        else
        {
            _ = Server; // builds and starts the host: migrations run here
        }

        return Task.CompletedTask;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Compliance", options.Database.App);
        builder.UseSetting("ConnectionStrings:ComplianceOwner", options.Database.Owner);
        builder.UseSetting("Demo:Seed", "false");
        // Each database has its own data folder (blobs, checkpoint key and file, provenance keys), shared by every
        // node on it, as in production; models and policies are the checkout's.
        var data = Path.Combine(DataRoot, new Npgsql.NpgsqlConnectionStringBuilder(options.Database.App).Database ?? "default");
        var checkout = RepositoryRoot.Find(AppContext.BaseDirectory)!;
        builder.UseSetting("Paths:Data", data);
        builder.UseSetting("Paths:Models", Path.Combine(checkout, ".data", "models"));
        builder.UseSetting("Paths:Policies", options.PoliciesDirectory ?? Path.Combine(checkout, "policies"));
        // The tests' callback endpoints listen on loopback, which production refuses (one test turns this back off).
        builder.UseSetting("Generation:Callbacks:AllowPrivateNetworks", "true");
        // The local storyboard's named soundtracks: the recordings scripts/test-audio.sh fetches from Debian packages.
        builder.UseSetting("Generation:Local:AudioAssetFolder", Path.Combine(checkout, ".data", "test-audio"));

        // Classifier time budgets generous enough for two cores shared with builds: a test checks behaviour, not speed
        // (benchmarks do), and a budget blown by machine load fails closed, turning an allow into a block. The tests
        // of the budgets themselves set their own.
        builder.UseSetting("Screening:ClassifierBudget", "00:00:10");
        builder.UseSetting("Screening:ImageClassifierBudget", "00:00:30");

        foreach (var (k, v) in options.Settings)
        {
            builder.UseSetting(k, v);
        }

        builder.ConfigureTestServices(services => SharedModels.Register(services, options.Settings));
        if (options.Services is not null)
        {
            builder.ConfigureTestServices(options.Services);
        }
    }

    public HttpClient ClientWithKey(string? key)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public async Task<string> CreateKeyAsync(string role, Guid? tenantId = null, Guid? rightsHolderId = null, Guid? likenessProfileId = null)
    {
        var store = Services.GetRequiredService<ApiKeyStore>();
        return (await store.CreateAsync("test " + role, role, tenantId, rightsHolderId, default, likenessProfileId)).Key;
    }

    /// <summary>A fresh cast for one test: two platforms, two rights holders, an auditor and an admin, each with its own client.</summary>
    public async Task<World> NewWorldAsync()
    {
        var admin = ClientWithKey(await CreateKeyAsync(Roles.Admin));
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var tenant = await CreateAsync(admin, "/v1/admin/tenants", "Platform " + suffix);
        var otherTenant = await CreateAsync(admin, "/v1/admin/tenants", "Other platform " + suffix);
        var holder = await CreateAsync(admin, "/v1/admin/rights-holders", "Studio " + suffix);
        var otherHolder = await CreateAsync(admin, "/v1/admin/rights-holders", "Other studio " + suffix);
        return new World(
            this,
            tenant,
            otherTenant,
            holder,
            otherHolder,
            admin,
            ClientWithKey(await CreateKeyAsync(Roles.Platform, tenant)),
            ClientWithKey(await CreateKeyAsync(Roles.Platform, otherTenant)),
            ClientWithKey(await CreateKeyAsync(Roles.RightsHolder, rightsHolderId: holder)),
            ClientWithKey(await CreateKeyAsync(Roles.RightsHolder, rightsHolderId: otherHolder)),
            ClientWithKey(await CreateKeyAsync(Roles.Auditor)));
    }

    private static async Task<Guid> CreateAsync(HttpClient admin, string path, string name)
    {
        var response = await admin.PostAsJsonAsync(path, new { name });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<IdOnly>())!.Id;
    }

    private sealed record IdOnly(Guid Id);
}
