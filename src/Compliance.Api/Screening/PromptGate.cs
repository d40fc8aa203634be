using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Compliance.Classifiers;
using Compliance.Policies.Model;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Screening;

internal sealed class ScreeningOptions
{
    /// <summary>How long one text classifier may take on one prompt before it counts as failed.</summary>
    public TimeSpan ClassifierBudget { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long one image classifier may take on one image or frame before it counts as failed. Model inference
    /// (ResNet18 ~40 ms, faces ~30 ms each on one core) needs more room than text, especially under load.
    /// </summary>
    public TimeSpan ImageClassifierBudget { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The prompt gate: text classifiers produce signals (each under its time budget; failures become
/// classifier-error signals), then the decision pipeline looks up grants, decides and logs.
/// </summary>
internal sealed class PromptGate(
    IEnumerable<ITextClassifier> classifiers,
    DecisionPipeline pipeline,
    IOptions<ScreeningOptions> options,
    ILogger<PromptGate> logger)
{
    internal static readonly ActivitySource Activity = new("Compliance.Screening");

    private void LogFailure(string classifier, Exception? exception) => logger.LogClassifierFailure(classifier, exception);
    private readonly ITextClassifier[] _classifiers = classifiers.ToArray();

    public async Task<DecisionView> ScreenAsync(Guid tenantId, ScreenPromptRequest request, CancellationToken ct)
    {
        using var activity = Activity.StartActivity("screen prompt");
        var prompt = request.Prompt!;
        var contexts = request.Contexts ?? [];
        var signals = new List<Signal>();
        foreach (var classifier in _classifiers)
        {
            signals.AddRange(await ClassifierGuard.RunAsync(classifier.Name, t => classifier.ClassifyAsync(prompt, t), options.Value.ClassifierBudget, LogFailure, ct));
        }

        var input = new DecisionInput(prompt, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))), request.Account, contexts);
        var view = await pipeline.DecideAsync(tenantId, "prompt", signals, contexts, input, ct);
        activity?.SetTag("compliance.outcome", view.Outcome.ToString());
        return view;
    }
}
