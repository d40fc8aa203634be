using Compliance.Api.Catalog;
using Compliance.Api.Demo;
using Compliance.Api.Names;
using Compliance.Storage.Local;
using Compliance.Storage.Migrations;
using Compliance.Storage.Scheduling;
using Npgsql;

namespace Compliance.Api.Infrastructure;

internal static class DatabaseExtensions
{
    /// <summary>
    /// Uses <c>ConnectionStrings:Compliance</c> (the app role) and <c>ConnectionStrings:ComplianceOwner</c>
    /// (migrations; defaults to the app string) when configured; otherwise starts the embedded local
    /// cluster under the checkout's git-ignored <c>.data/</c> folder (reporting its start on <paramref name="log"/>,
    /// standard output by default).
    /// </summary>
    public static WebApplicationBuilder AddComplianceDatabase(this WebApplicationBuilder builder, Action<string>? log = null)
    {
        var app = builder.Configuration.GetConnectionString("Compliance");
        var owner = builder.Configuration.GetConnectionString("ComplianceOwner");
        if (string.IsNullOrEmpty(app))
        {
            // The cluster must run before the container is built (the data source needs its address): the paths are
            // read here with the same binding and defaults as everywhere else.
            var dir = LocalPostgresLocation.Resolve(PathsOptions.Read(builder.Configuration, builder.Environment).InData("postgres"));
            var local = LocalPostgres.StartAsync(dir, log ?? Console.WriteLine).GetAwaiter().GetResult();
            builder.Services.AddSingleton(local);
            builder.Services.AddHostedService<LocalPostgresLifetime>();
            (app, owner) = (local.Connections.App, local.Connections.Owner);
        }

        builder.Services.AddSingleton(new DatabaseConnections(owner ?? app, app));
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(ConnectionDefaults.Apply(app)));
        return builder;
    }

    /// <summary>Applies migrations as the owner role, seeds demo data when asked, claims unclaimed names, and loads the catalog.</summary>
    public static async Task InitializeDatabaseAsync(this WebApplication app)
    {
        // Models load now, not on the first request: a missing or broken model file stops start-up, naming it.
        app.Services.GetRequiredService<Compliance.Faces.FacePipeline>();
        app.Services.GetRequiredService<Compliance.Classifiers.Text.SentenceEmbedder>();
        app.Services.GetRequiredService<Compliance.Classifiers.Text.TextFusionModel>();
        app.Services.GetRequiredService<Compliance.Imaging.Embedding.VisualEmbedder>();
        var connections = app.Services.GetRequiredService<DatabaseConnections>();
        await using (var ownerDb = NpgsqlDataSource.Create(connections.Owner))
        {
            var ran = await Migrator.MigrateAsync(ownerDb);
            if (ran.Count > 0)
            {
                app.Logger.LogInformation("Applied migrations: {Migrations}", string.Join(", ", ran));
            }

            // Quartz's own idempotent script for its job store; the app role gets row access only.
            var appUser = new NpgsqlConnectionStringBuilder(connections.App).Username;
            var ownerUser = new NpgsqlConnectionStringBuilder(connections.Owner).Username;
            await SchedulerSchema.ProvisionAsync(ownerDb, appUser != ownerUser ? appUser : null);
        }

        if (app.Configuration.GetValue<bool>("Demo:Seed"))
        {
            await DemoData.SeedAsync(app.Services, app.Configuration, app.Environment);
        }

        // Names stored without a claim (before migration 0006, or by the demo seed) are claimed, earliest first.
        await NameClaimBackfill.RunAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), app.Logger);
        await app.Services.GetRequiredService<CatalogIndex>().RefreshAsync();
        await app.Services.GetRequiredService<References.ReferenceBankIndex>().RefreshAsync();
        await app.Services.GetRequiredService<Recordings.RecordingBankIndex>().RefreshAsync();
        await app.Services.GetRequiredService<Likeness.FaceBankIndex>().RefreshAsync();
    }

    private sealed class LocalPostgresLifetime(LocalPostgres local) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken) => await local.DisposeAsync();
    }
}
