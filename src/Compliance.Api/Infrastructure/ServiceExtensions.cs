using System.Text.Json;
using Compliance.Api.Access;
using Compliance.Api.Catalog;
using Compliance.Api.Decisions;
using Compliance.Api.Grants;
using Compliance.Api.Policies;
using Compliance.Api.Screening;
using Compliance.Classifiers;
using Compliance.Classifiers.Images;
using Compliance.Classifiers.Text;
using Compliance.Api.References;
using Compliance.Faces;
using Compliance.Generation.Frames;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Storage.Blobs;
using Compliance.Storage.Decisions;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Compliance.Generation.Gates;
using Compliance.Generation.Soundtrack;
using Compliance.Audio;

namespace Compliance.Api.Infrastructure;

/// <summary>Service registrations, one method per concern, called from Program.cs.</summary>
internal static class ServiceExtensions
{
    private const string SelectingScheme = "ApiKeyOrConsole";

    public static WebApplicationBuilder AddCompliancePolicies(this WebApplicationBuilder builder)
    {
        PathsOptions.Register(builder.Services);
        var watch = builder.Configuration.GetValue("Policies:Watch", true);
        builder.Services.AddSingleton(sp => new PolicyStore(PathsOptions.From(sp).Policies, watch, sp.GetRequiredService<ILogger<PolicyStore>>()));
        return builder;
    }

    public static WebApplicationBuilder AddComplianceScreening(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<CatalogIndex>();
        builder.Services.AddSingleton<INameMatcherSource>(sp => sp.GetRequiredService<CatalogIndex>());
        builder.Services.AddHostedService<CatalogFollower>();
        // One MiniLM session for everything that reads sentences: described characters and content contexts.
        // Registered by factory, not as instances: the container then owns the ONNX sessions and disposes them with the host.
        builder.Services.AddSingleton(_ => new SentenceEmbedder());
        builder.Services.AddSingleton(_ => TextFusionModel.LoadShipped());  // the calibrated fusion model (issue 10), loaded once
        builder.Services.AddSingleton(sp => new CharacterTextScreener(sp.GetRequiredService<SentenceEmbedder>(), sp.GetRequiredService<TextFusionModel>()));
        builder.Services.AddSingleton<ITextClassifier>(sp => new NameClassifier(sp.GetRequiredService<CatalogIndex>(), sp.GetRequiredService<CharacterTextScreener>()));
        builder.Services.AddSingleton<ReferenceBankIndex>();
        builder.Services.AddSingleton<IReferenceBank>(sp => sp.GetRequiredService<ReferenceBankIndex>());
        builder.Services.AddSingleton<IImageClassifier, ReferencePdqClassifier>();
        builder.Services.AddSingleton(_ => new VisualEmbedder());  // one ONNX session per model, loaded once
        builder.Services.AddSingleton<IImageClassifier, ReferenceEmbeddingClassifier>();
        builder.Services.AddSingleton<IImageClassifier, ReferenceLocalFeatureClassifier>();  // partial copies, with the box (ADR-016)
        // Model paths are configuration: Paths:Models/face by default, each file overridable, and the optional deepfake slot.
        // Loaded when first resolved, which start-up does (InitializeDatabaseAsync): missing models stop it, naming scripts/face-models.sh.
        builder.Services.AddSingleton(sp =>
        {
            var faces = builder.Configuration.GetSection("Faces");
            var defaults = FaceModelOptions.FromDirectory(faces["ModelDirectory"] ?? Path.Combine(PathsOptions.From(sp).Models!, "face"));
            return new FacePipeline(defaults with
            {
                DetectorPath = faces["DetectorPath"] ?? defaults.DetectorPath,
                LandmarkPath = faces["LandmarkPath"] ?? defaults.LandmarkPath,
                EmbedderPath = faces["EmbedderPath"] ?? defaults.EmbedderPath,
                LivenessPath = faces["LivenessPath"] ?? defaults.LivenessPath,
                DeepfakePath = faces["DeepfakeModelPath"] is { Length: > 0 } deepfake ? deepfake : null,
            });
        });
        builder.Services.AddOptions<FaceSearchOptions>().BindConfiguration("Faces:Search")
            .Validate(o => o.ApproximateFrom > 0 && o.ProbedShare > 0 && o.ProbedShare <= 1 && o.PrefilterCandidates > 0 && o.RerankCandidates > 0 && o.Lists >= 0 && o.TrainingIterations >= 0 && o.TrainingPointsPerList > 0,
                "Faces:Search values must be positive (Lists and TrainingIterations may be 0; ProbedShare at most 1).")
            .ValidateOnStart();
        builder.Services.AddSingleton<Likeness.FaceBankIndex>();
        builder.Services.AddSingleton<IFaceBank>(sp => sp.GetRequiredService<Likeness.FaceBankIndex>());
        builder.Services.AddSingleton<IImageClassifier, FaceMatchClassifier>();
        builder.Services.AddOptions<ImageDecodingOptions>().BindConfiguration(ImageDecodingOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ImageDecodingOptions>, AdmissionOptions.Validator<ImageDecodingOptions>>();
        builder.Services.AddSingleton<DecodeGate>();  // how many uploads decode at once, and how many may wait
        builder.Services.AddOptions<MediaProcessingOptions>().BindConfiguration(MediaProcessingOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MediaProcessingOptions>, AdmissionOptions.Validator<MediaProcessingOptions>>();
        builder.Services.AddSingleton<MediaProcessGate>();  // how many video screenings and audio fingerprintings run at once
        builder.Services.AddSingleton(sp => new SafeImageDecoder(maxDecodedSide: sp.GetRequiredService<IOptions<ImageDecodingOptions>>().Value.MaxDecodedSide));
        builder.Services.AddSingleton(sp => new LocalBlobStore(PathsOptions.From(sp).Blobs!));
        builder.Services.AddSingleton<IDecisionFacts, Facts.DecisionFacts>();  // the gates' grant and consent facts
        builder.Services.AddSingleton<IPolicySource>(sp => sp.GetRequiredService<PolicyStore>());
        builder.Services.AddSingleton<DecisionPipeline>();
        builder.Services.AddSingleton<ImageGate>();
        // Video:* is the sampler's options; its MaxFileBytes is also the video upload limit (one limit, one spooling path).
        builder.Services.AddOptions<FrameSamplerOptions>().BindConfiguration("Video").ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<FrameSamplerOptions>, VideoOptionsValidation>();
        builder.Services.AddSingleton(sp => new FrameSampler(sp.GetRequiredService<IOptions<FrameSamplerOptions>>().Value));
        builder.Services.AddSingleton<FrameScreener>();
        // The soundtrack half of the frame gate: fpcalc under the Audio:* limits, against this node's recording bank.
        builder.Services.AddOptions<AudioFingerprintOptions>().BindConfiguration(AudioFingerprintOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AudioFingerprinter>();
        builder.Services.AddSingleton<Recordings.RecordingBankIndex>();
        builder.Services.AddSingleton<IRecordingBank>(sp => sp.GetRequiredService<Recordings.RecordingBankIndex>());
        builder.Services.AddSingleton<SoundtrackScreener>();
        builder.Services.AddSingleton<VideoGate>();
        // The multipart reader must admit the largest upload of either kind; each endpoint checks its own limit (413).
        builder.Services.AddOptions<Microsoft.AspNetCore.Http.Features.FormOptions>().Configure<IOptions<FrameSamplerOptions>, IOptions<AudioFingerprintOptions>>(
            (form, video, audio) => form.MultipartBodyLengthLimit = Math.Max(video.Value.MaxFileBytes, audio.Value.MaxFileBytes) + (1024 * 1024));
        builder.Services.AddSingleton(sp => new ContentContextClassifier(sp.GetRequiredService<SentenceEmbedder>()));  // the shared MiniLM
        builder.Services.AddSingleton<ContextDetector>();
        builder.Services.AddSingleton<GrantLedger>();
        builder.Services.AddSingleton<Likeness.LikenessLedger>();
        builder.Services.AddSingleton(sp => new DecisionLog(sp.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddSingleton<DecisionRecorder>();
        builder.Services.AddSingleton<PromptGate>();
        builder.Services.Configure<ScreeningOptions>(builder.Configuration.GetSection("Screening"));
        return builder;
    }

    /// <summary>Signed checkpoints of the decision log's head: the key (a file outside the database), the file copy, the interval run.</summary>
    public static WebApplicationBuilder AddComplianceDecisionLog(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DecisionLogOptions>().BindConfiguration(DecisionLogOptions.Section)
            .PostConfigure<IOptions<PathsOptions>>((o, paths) => o.ResolvePaths(paths.Value))
            .Validate(o => o.CheckpointInterval > TimeSpan.Zero, "DecisionLog:CheckpointInterval must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => CheckpointSigner.LoadOrCreate(sp.GetRequiredService<IOptions<DecisionLogOptions>>().Value.SigningKeyFile));
        builder.Services.AddSingleton(sp => new CheckpointFile(sp.GetRequiredService<IOptions<DecisionLogOptions>>().Value.CheckpointFile));
        builder.Services.AddSingleton<DecisionCheckpoints>();
        builder.Services.AddHostedService<CheckpointScheduler>();
        return builder;
    }

    public static WebApplicationBuilder AddComplianceAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddMemoryCache();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<ChangeNumberReader>();  // key-, grant- and consent-change numbers: one shared read, kept per request
        builder.Services.AddSingleton<ApiKeyStore>();
        // One default scheme that forwards: the console's pages (/console) authenticate by their session cookie, everything
        // else by API key only. A console cookie never opens the API, so the API needs no CSRF defence.
        builder.Services.AddAuthentication(SelectingScheme)
            .AddPolicyScheme(SelectingScheme, "API key, or the console's session under /console", o => o.ForwardDefaultSelector = WebConsole.ConsoleExtensions.SchemeFor)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Roles.Platform, p => p.RequireRole(Roles.Platform))
            .AddPolicy(Roles.RightsHolder, p => p.RequireRole(Roles.RightsHolder))
            .AddPolicy(Roles.Auditor, p => p.RequireRole(Roles.Auditor))
            .AddPolicy(Roles.LikenessOwner, p => p.RequireRole(Roles.LikenessOwner))
            .AddPolicy(Roles.DecisionReaders, p => p.RequireRole(Roles.Auditor, Roles.Platform))
            .AddPolicy(Roles.PolicyTesters, p => p.RequireRole(Roles.Auditor, Roles.Admin))
            // Anything not explicitly opened up needs a key.
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    public static WebApplicationBuilder AddComplianceHttp(this WebApplicationBuilder builder)
    {
        // Kestrel's own ceiling must admit the largest upload; RequestLimits narrows it per endpoint. Header limits are
        // enforced by Kestrel before the app runs (a bare 431 or 414): see RequestLimits and docs/api.md.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 512L * 1024 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = RequestLimits.MaxHeaderBytes;
            k.Limits.MaxRequestHeaderCount = RequestLimits.MaxHeaderCount;
            k.Limits.MaxRequestLineSize = RequestLimits.MaxRequestLineBytes;
        });
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            JsonNames.Configure(o.SerializerOptions);
            o.SerializerOptions.Converters.Add(new UtcDateTimeOffsetConverter());  // any offset in, UTC to the database
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // NameListValidator is composed into others with a label, never resolved on its own. Validators hold no request
        // state, and building one compiles its rules: one instance each, not one per request (ADR-022).
        builder.Services.AddValidatorsFromAssemblyContaining<Program>(ServiceLifetime.Singleton,
            filter: r => r.ValidatorType != typeof(Likeness.NameListValidator), includeInternalTypes: true);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Compliance API";
            doc.Info.Description = "Screens prompts for licensed characters against rights holders' grants; every decision is logged, hash-chained.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplicationBuilder AddComplianceObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddNpgSql(sp => sp.GetRequiredService<NpgsqlDataSource>(), name: "postgres", tags: ["ready"])
            .AddCheck<PolicyHealthCheck>("policies", tags: ["ready"])
            .AddCheck<ModelsHealthCheck>("models", tags: ["ready"]);
        var otel = builder.Services.AddOpenTelemetry()
            // System.Runtime: the runtime's own meter (GC, allocations, thread pool, JIT), read only when scraped; the load
            // bench divides its allocated bytes by the requests answered (bench/README.md, "HTTP load").
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddMeter("Compliance").AddMeter("System.Runtime").AddPrometheusExporter());
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Traces only when something collects them: recording a span per request and per SQL command for no reader
            // cost 3-4% of a screened prompt's CPU (ADR-022).
            otel.WithTracing(t => t.AddAspNetCoreInstrumentation().AddSource("Compliance.Screening").AddNpgsql()).UseOtlpExporter();
        }

        return builder;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResponseWriter = WriteHealth,
            ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status200OK },
        }).AllowAnonymous();
        return app;
    }

    private static Task WriteHealth(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
        }, JsonNames.Options));
    }
}
