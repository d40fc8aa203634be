using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Compliance.Classifiers;
using Compliance.Policies.Model;
using Microsoft.Extensions.Options;

using Microsoft.Extensions.Logging;

namespace Compliance.Generation.Gates;

/// <summary>A prompt to screen, already validated by the caller: the text, the requesting account, the declared contexts.</summary>
internal sealed record PromptToScreen(string Prompt, string? Account, IReadOnlyList<string> Contexts);

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

    public Task<DecisionView> ScreenAsync(Guid tenantId, PromptToScreen request, CancellationToken ct) =>
        ScreenAsync(tenantId, request, [], ct);

    /// <summary>
    /// Screens the prompt together with <paramref name="requested"/>: signals the request itself carries (the
    /// generation pipeline's cameos, asked for by id rather than named), decided in the same decision.
    /// </summary>
    public async Task<DecisionView> ScreenAsync(Guid tenantId, PromptToScreen request, IReadOnlyList<Signal> requested, CancellationToken ct)
    {
        using var activity = Activity.StartActivity("screen prompt");
        var (prompt, contexts) = (request.Prompt, request.Contexts);
        var signals = new List<Signal>(requested);
        foreach (var classifier in _classifiers)
        {
            // A classifier that runs a model (the sentence model for described characters) gets the model budget and a
            // guard that can cut it short; the lexical path is bounded by the prompt's length and runs inline, its budget
            // checked on the clock (ADR-022).
            signals.AddRange(classifier.RunsModel
                ? await ClassifierGuard.RunAsync(classifier.Name, t => classifier.ClassifyAsync(prompt, t), options.Value.ImageClassifierBudget, LogFailure, ct)
                : await ClassifierGuard.RunInline(classifier.Name, t => classifier.ClassifyAsync(prompt, t), options.Value.ClassifierBudget, LogFailure, ct));
        }

        var input = new DecisionInput(prompt, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))), request.Account, contexts);
        var view = await pipeline.DecideAsync(tenantId, "prompt", signals, contexts, input, ct);
        activity?.SetTag("compliance.outcome", view.Outcome.ToString());
        return view;
    }
}
