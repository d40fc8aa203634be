using Compliance.Faces;
using Compliance.Imaging.Embedding;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Compliance.Api.Infrastructure;

/// <summary>Ready reports which model files are loaded (name and SHA-256 prefix), and whether the deepfake slot is filled.</summary>
internal sealed class ModelsHealthCheck(VisualEmbedder embedder, FacePipeline faces, Grants.ContextDetector contexts) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy("Models loaded.", new Dictionary<string, object>
        {
            ["visual_embedding"] = embedder.ModelVersion,
            ["content_context"] = contexts.ModelVersion,
            ["faces"] = faces.ModelVersions.Select(v => v.ToString()).Append(FacePipeline.InputRecipe).ToArray(),
            ["deepfake"] = faces.HasDeepfakeModel ? "configured" : "not configured",
        }));
}
