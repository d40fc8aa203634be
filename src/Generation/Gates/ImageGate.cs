using System.Security.Cryptography;
using Compliance.Classifiers;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Decoding;
using Compliance.Policies.Model;
using Microsoft.Extensions.Options;

using Microsoft.Extensions.Logging;

namespace Compliance.Generation.Gates;

/// <summary>
/// The image gate: decode safely (size limits before pixels; a large image reduced to the configured side), run
/// the image classifiers under their budgets, then decide and log through the shared pipeline. Callers hold a
/// slot of the host's decode gate around it (admission control is the host's). Also classifies frames.
/// </summary>
internal sealed class ImageGate(
    IEnumerable<IImageClassifier> classifiers,
    SafeImageDecoder decoder,
    DecisionPipeline pipeline,
    IOptions<ScreeningOptions> options,
    ILogger<ImageGate> logger)
{
    private readonly IImageClassifier[] _classifiers = classifiers.ToArray();

    public async Task<DecisionView> ScreenAsync(Guid tenantId, byte[] bytes, string? account, IReadOnlyList<string> contexts, CancellationToken ct)
    {
        using var activity = PromptGate.Activity.StartActivity("screen image");
        var mediaType = MediaTypes.RequireImage(bytes);
        var image = decoder.Decode(bytes);
        var signals = await ClassifyAsync(image, ct);
        var input = new DecisionInput(null, null, account, contexts)
        {
            Media = new MediaInput(Convert.ToHexStringLower(SHA256.HashData(bytes)), mediaType, bytes.Length, image.SourceWidth, image.SourceHeight),
        };
        return await pipeline.DecideAsync(tenantId, "image", signals, contexts, input, ct);
    }

    /// <summary>Runs every image classifier on one decoded image; failures come back as classifier-error signals.</summary>
    public Task<IReadOnlyList<Signal>> ClassifyAsync(DecodedImage image, CancellationToken ct) =>
        ClassifierGuard.RunAllAsync(_classifiers, image, options.Value.ImageClassifierBudget, logger.LogClassifierFailure, ct);
}
