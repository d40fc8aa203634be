using System.Globalization;
using Compliance.Classifiers;
using Compliance.Classifiers.Text;
using Microsoft.Extensions.Options;
using Compliance.Generation.Gates;

namespace Compliance.Api.Grants;

/// <summary>What the content-context classifier found in a prompt; <see cref="Failed"/> when it could not say.</summary>
internal sealed record DetectedContexts(IReadOnlyList<ContextScore> Detected, string? Failed)
{
    public string Describe(string context) =>
        Detected.FirstOrDefault(d => d.Context == context) is { } d
            ? string.Create(CultureInfo.InvariantCulture, $"{context} (detected {d.Score:0.###} in '{d.Evidence}')")
            : context + " (declared by the platform)";
}

/// <summary>
/// Runs the MiniLM content-context classifier on a prompt, under the text budget. It costs milliseconds,
/// so the grant ledger calls it only when a matched character's grant actually excludes contexts.
/// </summary>
internal sealed class ContextDetector(ContentContextClassifier classifier, IOptions<ScreeningOptions> options, ILogger<ContextDetector> logger)
{
    public string ModelVersion => classifier.ModelVersion;

    public async Task<DetectedContexts> DetectAsync(string prompt, CancellationToken ct)
    {
        // Detection takes ~5 ms for short prompts and ~55 ms for 2,000 characters: give it the image budget.
        var (scores, failure) = await ClassifierGuard.GuardAsync("content-context", _ => Task.FromResult(classifier.Classify(prompt)),
            options.Value.ImageClassifierBudget, logger.LogClassifierFailure, ct);
        return new DetectedContexts(scores?.Where(s => s.Detected).ToList() ?? [], failure);
    }
}
