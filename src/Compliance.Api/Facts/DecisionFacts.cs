using Compliance.Api.Grants;
using Compliance.Api.Likeness;
using Compliance.Generation.Gates;
using Compliance.Policies.Model;

namespace Compliance.Api.Facts;

/// <summary>The host's facts for the gates: grants from the grant ledger, consents from the likeness ledger, both read per decision.</summary>
internal sealed class DecisionFacts(GrantLedger grants, LikenessLedger consents) : IDecisionFacts
{
    public async Task<IReadOnlyList<GrantFact>> ResolveAsync(
        Guid tenantId, string? account, IReadOnlyList<EntityRef> entities, IReadOnlyCollection<string> contexts, string? prompt, CancellationToken ct)
    {
        var facts = new List<GrantFact>(await grants.ResolveAsync(tenantId, entities, contexts, prompt, ct));
        facts.AddRange(await consents.ResolveAsync(tenantId, account, entities, ct));
        return facts;
    }
}
