using Compliance.Policies.Engine;
using Compliance.Policies.Model;

namespace Compliance.Generation.Gates;

/// <summary>
/// The permission facts a decision needs, looked up by the host at decision time: rights holders' grants for the
/// characters and people's consents for the likenesses the signals name, for the requesting tenant and account.
/// Read fresh for every decision, so a grant change or a revocation applies to the very next request.
/// </summary>
public interface IDecisionFacts
{
    Task<IReadOnlyList<GrantFact>> ResolveAsync(
        Guid tenantId, string? account, IReadOnlyList<EntityRef> entities, IReadOnlyCollection<string> contexts, string? prompt, CancellationToken ct);
}

/// <summary>The policy set in force (validated, hot-reloaded by the host); its content hash is the decision's policy version.</summary>
public interface IPolicySource
{
    PolicySet Current { get; }
}

/// <summary>
/// The part every gate shares once it has signals: look up the facts (grants, consents) for the entities the
/// signals name, let the current policy set decide, and record the decision before returning it.
/// </summary>
internal sealed class DecisionPipeline(IDecisionFacts facts, IPolicySource policies, DecisionRecorder recorder)
{
    public async Task<DecisionView> DecideAsync(
        Guid tenantId, string subject, IReadOnlyList<Signal> signals, IReadOnlyCollection<string> contexts, DecisionInput input, CancellationToken ct)
    {
        var entities = new List<EntityRef>(signals.Count);
        foreach (var signal in signals)
        {
            if (signal.Entity is { } entity)
            {
                entities.Add(entity);
            }
        }

        var resolved = await facts.ResolveAsync(tenantId, input.Account, entities, contexts, input.Prompt, ct);
        var decision = PolicyEngine.Evaluate(policies.Current, new PolicyInput(subject, signals, resolved));
        return await recorder.RecordAsync(tenantId, subject, decision, input, ct);
    }
}
