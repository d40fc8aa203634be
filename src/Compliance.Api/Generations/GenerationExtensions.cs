using Compliance.Generation.Generators;
using Compliance.Generation.Pipeline;
using Compliance.Generation.Release;
using Quartz;

namespace Compliance.Api.Generations;

internal static class GenerationExtensions
{
    /// <summary>
    /// The generation pipeline: its options, the runner and the host's stages, the generators, and Quartz with the
    /// clustered ADO.NET store on the service's PostgreSQL (the same store settlements use). Every node runs a
    /// scheduler; Quartz's row locks make each fire happen on exactly one node, and recovery re-fires a job whose
    /// node died.
    /// </summary>
    public static WebApplicationBuilder AddComplianceGenerations(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<GenerationPipelineOptions>().BindConfiguration(GenerationPipelineOptions.Section)
            .ValidateDataAnnotations()
            // A default generator that is not configured would fail every job; it stops start-up instead.
            .Validate<IEnumerable<IVideoGenerator>>((o, generators) => generators.Any(g => g.Name == o.DefaultGenerator),
                $"Generation:DefaultGenerator: must name a configured generator: {LocalStoryboardGenerator.GeneratorName}, or {HostedVideoGenerator.GeneratorName} when Generation:Hosted:BaseUrl is set.")
            .ValidateOnStart();
        var pipeline = builder.Configuration.GetSection(GenerationPipelineOptions.Section).Get<GenerationPipelineOptions>() ?? new GenerationPipelineOptions();

        // Quartz takes its connections from the one NpgsqlDataSource, registered under the provider-neutral type it asks for.
        builder.Services.AddSingleton<System.Data.Common.DbDataSource>(sp => sp.GetRequiredService<Npgsql.NpgsqlDataSource>());
        builder.Services.AddSingleton<IGenerationJobStore, GenerationJobStore>();
        builder.Services.AddSingleton<GenerationStages>();  // also the review workflow's way to settle a held job
        builder.Services.AddSingleton<IGenerationStages>(sp => sp.GetRequiredService<GenerationStages>());
        builder.Services.AddSingleton<GenerationRunner>();
        builder.Services.AddSingleton<GenerationScheduler>();
        builder.Services.AddSingleton<CallbackOutbox>();
        builder.Services.AddHostedService<GenerationSweeper>();
        builder.Services.AddHostedService<CallbackDispatcher>();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.UnreleasedFor >= TimeSpan.FromHours(1), "Generation:Retention:UnreleasedFor must be at least one hour (set Enabled to false to keep unreleased outputs).")
            .Validate(o => o.FreshBlobGrace >= TimeSpan.FromMinutes(1), "Generation:Retention:FreshBlobGrace must be at least one minute.")
            .Validate(o => o.OrphanGrace == TimeSpan.Zero || o.OrphanGrace >= o.FreshBlobGrace,
                "Generation:Retention:OrphanGrace must be zero (no orphan pass) or at least Generation:Retention:FreshBlobGrace.")
            .Validate(o => CronExpression.TryParse(o.Cron, out _), "Generation:Retention:Cron is not a valid Quartz cron expression.")
            .ValidateOnStart();
        builder.Services.AddSingleton<OutputRetention>();
        builder.Services.AddHostedService<OutputRetentionSchedule>();
        builder.Services.AddOptions<CallbackOptions>().BindConfiguration(CallbackOptions.Section);
        // Callbacks go only to public addresses (checked when connecting, after DNS) and never follow redirects, so a
        // platform's URL cannot make the service POST into its own network.
        builder.Services.AddHttpClient(nameof(CallbackDispatcher), c => c.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var allowPrivate = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<CallbackOptions>>().Value.AllowPrivateNetworks;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    ConnectCallback = (context, ct) => CallbackAddresses.ConnectAsync(context, allowPrivate, ct),
                };
            });
        builder.Services.AddComplianceGenerators(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddOptions<ProvenanceOptions>().BindConfiguration("Provenance")
            .PostConfigure<Microsoft.Extensions.Options.IOptions<Infrastructure.PathsOptions>>(
                (o, paths) => o.KeyDirectory = Path.GetFullPath(string.IsNullOrEmpty(o.KeyDirectory) ? Path.Combine("keys", "provenance") : o.KeyDirectory, paths.Value.Data))
            .ValidateDataAnnotations().ValidateOnStart();

        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "compliance";
                o.GenerateInstanceId = true; // one id per node: clustering needs them distinct
                // A job is signalled only to the node that scheduled it; the others find it when they next look. With
                // Quartz's default 30 s an idle node left a busy node's queue alone for half a minute.
                o.IdleWaitTime = TimeSpan.FromSeconds(2);
            });
            q.UseDefaultThreadPool(pipeline.MaxConcurrentJobsPerNode);
            q.UsePersistentStore(store =>
            {
                store.UseClustering(c =>
                {
                    c.CheckinInterval = TimeSpan.FromSeconds(5);
                    c.CheckinMisfireThreshold = TimeSpan.FromSeconds(10);
                });
                // Connections come from the service's one NpgsqlDataSource (embedded or configured alike).
                store.UsePostgres(postgres => postgres.UseRegisteredDataSource = true);
                store.UseSystemTextJsonSerializer();
            });
        });
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = false);
        return builder;
    }

    /// <summary>
    /// The local storyboard generator always; the hosted video API adapter when <c>Generation:Hosted:BaseUrl</c> is
    /// set (its key from configuration or the environment, never logged). The provenance key ring lives under the
    /// data folder, created on first run.
    /// </summary>
    private static IServiceCollection AddComplianceGenerators(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        var local = configuration.GetSection("Generation:Local").Get<LocalStoryboardOptions>() ?? new LocalStoryboardOptions();
        if (local.AudioAssetFolder is { Length: > 0 } audio)
        {
            // Like every configured path: relative to the content root, never to the source tree.
            local = local with { AudioAssetFolder = Path.GetFullPath(audio, contentRoot) };
        }

        services.AddSingleton<IVideoGenerator>(new LocalStoryboardGenerator(local));
        var hosted = configuration.GetSection("Generation:Hosted").Get<HostedVideoOptions>();
        if (hosted?.BaseUrl is not null)
        {
            services.AddHttpClient(nameof(HostedVideoGenerator));
            services.AddSingleton<IVideoGenerator>(sp => new HostedVideoGenerator(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(HostedVideoGenerator)), hosted,
                sp.GetRequiredService<ILogger<HostedVideoGenerator>>(), sp.GetRequiredService<TimeProvider>()));
        }

        services.AddSingleton(sp => ProvenanceKeyRing.Open(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ProvenanceOptions>>().Value.KeyDirectory));
        services.AddSingleton(sp => new ProvenanceSigner(sp.GetRequiredService<ProvenanceKeyRing>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ProvenanceVerifier(sp.GetRequiredService<ProvenanceKeyRing>()));
        services.AddSingleton<ProvenanceIssuer>();
        return services;
    }
}

/// <summary>Where the provenance signing keys live (section <c>Provenance</c>).</summary>
internal sealed class ProvenanceOptions
{
    /// <summary>Folder of the key ring (private keys, mode 0600). Set by the paths defaults: <c>DATA/keys/provenance</c>.</summary>
    [System.ComponentModel.DataAnnotations.Required]
    public string KeyDirectory { get; set; } = "";
}
