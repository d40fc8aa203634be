using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Where the service keeps and finds its files (section <c>Paths</c>). Relative paths are under the content root, so a
/// published build runs from its own folder and never looks for the source tree: <c>Data</c> holds what the service
/// writes (the embedded cluster, blobs, keys, checkpoints, demo keys), <c>Models</c> the model files, <c>Policies</c>
/// the policy files (copied next to the published binaries). In development (<c>dotnet run</c> from
/// <c>src/Compliance.Api</c>) <c>appsettings.Development.json</c> points them at the checkout's <c>.data/</c> and
/// <c>policies/</c>.
/// </summary>
internal sealed class PathsOptions
{
    public const string Section = "Paths";

    /// <summary>What the service writes. Default <c>data</c>.</summary>
    [Required]
    public string Data { get; set; } = "data";

    /// <summary>Model files; the face models are in its <c>face/</c> folder. Default <c>{Data}/models</c>.</summary>
    public string? Models { get; set; }

    /// <summary>The policy files (<c>*.policy.yaml</c>). Default <c>policies</c>.</summary>
    [Required]
    public string Policies { get; set; } = "policies";

    /// <summary>The content-addressed blob store (reference and enrolment images, generated videos). Default <c>{Data}/blobs</c>.</summary>
    public string? Blobs { get; set; }

    /// <summary>A file or folder under <see cref="Data"/>.</summary>
    public string InData(params string[] parts) => Path.Combine([Data, .. parts]);

    /// <summary>Makes every path absolute against the content root and fills the derived defaults.</summary>
    public void Resolve(string contentRoot)
    {
        Data = Path.GetFullPath(Data, contentRoot);
        Models = Path.GetFullPath(Models ?? Path.Combine(Data, "models"), contentRoot);
        Policies = Path.GetFullPath(Policies, contentRoot);
        Blobs = Path.GetFullPath(Blobs ?? Path.Combine(Data, "blobs"), contentRoot);
    }

    /// <summary>Binds, resolves and validates the paths at start-up: a missing policy folder stops start-up naming it.</summary>
    public static void Register(IServiceCollection services) =>
        services.AddOptions<PathsOptions>().BindConfiguration(Section)
            .PostConfigure<IHostEnvironment>((o, env) => o.Resolve(env.ContentRootPath))
            .ValidateDataAnnotations()
            .Validate(o => Directory.Exists(o.Policies) && Directory.EnumerateFiles(o.Policies, "*.policy.yaml").Any(),
                "Paths:Policies must be a folder holding the *.policy.yaml files.")
            .ValidateOnStart();

    /// <summary>
    /// The same binding, read once while the host is being built, for the few things that must exist before the
    /// container does (the embedded cluster's folder). Same section, same defaults, same resolution.
    /// </summary>
    public static PathsOptions Read(IConfiguration configuration, IHostEnvironment env)
    {
        var o = new PathsOptions();
        configuration.GetSection(Section).Bind(o);
        o.Resolve(env.ContentRootPath);
        return o;
    }

    public static PathsOptions From(IServiceProvider sp) => sp.GetRequiredService<IOptions<PathsOptions>>().Value;
}
