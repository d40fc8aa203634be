using Compliance.Classifiers.Text;
using Compliance.Faces;
using Compliance.Imaging.Embedding;
using Compliance.Storage.Local;
using Microsoft.Extensions.DependencyInjection;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>
/// The models, loaded once for the whole test process and handed to every host the tests start. A host loads
/// MiniLM, ResNet18, the face models and the fusion model (several hundred MB of native ONNX memory); the Api tests
/// start some seventy hosts, and loading each its own set ran the test process out of memory. Registered as
/// instances, they are not disposed with a host. The models are stateless at inference, as in one production process.
/// </summary>
internal static class SharedModels
{
    private static readonly Lazy<SentenceEmbedder> Sentences = new(() => new SentenceEmbedder());
    private static readonly Lazy<TextFusionModel> Fusion = new(TextFusionModel.LoadShipped);
    private static readonly Lazy<VisualEmbedder> Visual = new(() => new VisualEmbedder());
    private static readonly Lazy<FacePipeline> Faces = new(() =>
        new FacePipeline(FaceModelOptions.FromDirectory(Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, ".data", "models", "face"))));

    /// <summary>Registers the shared models; the face models only when the test leaves the Faces:* settings alone.</summary>
    public static void Register(IServiceCollection services, IReadOnlyDictionary<string, string?> settings)
    {
        services.AddSingleton(Sentences.Value);
        services.AddSingleton(Fusion.Value);
        services.AddSingleton(Visual.Value);
        if (!settings.Keys.Any(k => k.StartsWith("Faces:", StringComparison.OrdinalIgnoreCase)))
        {
            services.AddSingleton(Faces.Value);
        }
    }
}
