using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Compliance.Api.Grants;
using Compliance.Api.Policies;
using Compliance.Classifiers;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;
using Microsoft.Extensions.Options;

namespace Compliance.Api.Screening;

internal sealed class ScreeningOptions
{
    /// <summary>How long one classifier may take on one prompt before it counts as failed.</summary>
    public TimeSpan ClassifierBudget { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>
/// The prompt gate: text classifiers produce signals, the grant ledger supplies facts, the policy
/// engine decides, and the decision is logged before it is returned. A classifier that throws or
/// overruns its budget becomes a <see cref="SignalKinds.ClassifierError"/> signal, which no valid
/// policy can allow.
/// </summary>
internal sealed class PromptGate(
    IEnumerable<ITextClassifier> classifiers,
    GrantLedger ledger,
    PolicyStore policies,
    DecisionRecorder recorder,
    IOptions<ScreeningOptions> options,
    ILogger<PromptGate> logger)
{
    private static readonly ActivitySource Activity = new("Compliance.Screening");
    private readonly ITextClassifier[] _classifiers = classifiers.ToArray();

    public async Task<DecisionView> ScreenAsync(Guid tenantId, ScreenPromptRequest request, CancellationToken ct)
    {
        using var activity = Activity.StartActivity("screen prompt");
        var prompt = request.Prompt!;
        var contexts = request.Contexts ?? [];
        var signals = new List<Signal>();
        foreach (var classifier in _classifiers)
        {
            signals.AddRange(await RunAsync(classifier, prompt, ct));
        }

        var entities = signals.Select(s => s.Entity).OfType<EntityRef>().ToList();
        var facts = await ledger.ResolveAsync(tenantId, entities, contexts.ToArray(), ct);
        var decision = PolicyEngine.Evaluate(policies.Current, new PolicyInput("prompt", signals, facts));
        var input = new DecisionInput(prompt, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))), request.Account, contexts);
        var view = await recorder.RecordAsync(tenantId, "prompt", decision, input, ct);
        activity?.SetTag("compliance.outcome", view.Outcome.ToString());
        return view;
    }

    private async Task<IReadOnlyList<Signal>> RunAsync(ITextClassifier classifier, string text, CancellationToken ct)
    {
        var budget = options.Value.ClassifierBudget;
        try
        {
            // Task.Run so that a classifier stuck in synchronous work still cannot hold the request past its budget.
            return await Task.Run(() => classifier.ClassifyAsync(text, ct).AsTask(), ct).WaitAsync(budget, ct);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Classifier {Classifier} exceeded its {Budget} ms budget", classifier.Name, budget.TotalMilliseconds);
            return [Failure(classifier, $"timed out after {budget.TotalMilliseconds:0} ms")];
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Any failure of a classifier is a signal, never a silent allow.
            logger.LogError(ex, "Classifier {Classifier} failed", classifier.Name);
            return [Failure(classifier, ex.GetType().Name + ": " + ex.Message)];
        }
    }

    private static Signal Failure(ITextClassifier classifier, string detail) =>
        new(classifier.Name, "n/a", SignalKinds.ClassifierError, null, 1.0, new Evidence(Detail: detail));
}
