using Compliance.Api.Grants;
using Compliance.Api.Likeness;
using Compliance.Api.Policies;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;

namespace Compliance.Api.Screening;

/// <summary>
/// The part every gate shares once it has signals: look up the facts (grants) for the entities the
/// signals name, let the current policy set decide, and record the decision before returning it.
/// </summary>
internal sealed class DecisionPipeline(GrantLedger grants, LikenessLedger consents, PolicyStore policies, DecisionRecorder recorder)
{
    public async Task<DecisionView> DecideAsync(
        Guid tenantId, string subject, IReadOnlyList<Signal> signals, IReadOnlyCollection<string> contexts, DecisionInput input, CancellationToken ct)
    {
        var entities = signals.Select(s => s.Entity).OfType<EntityRef>().ToList();
        var facts = new List<GrantFact>(await grants.ResolveAsync(tenantId, entities, contexts, input.Prompt, ct));
        facts.AddRange(await consents.ResolveAsync(tenantId, input.Account, entities, ct));
        var decision = PolicyEngine.Evaluate(policies.Current, new PolicyInput(subject, signals, facts));
        return await recorder.RecordAsync(tenantId, subject, decision, input, ct);
    }
}
