using Compliance.Policies.Model;
using Dapper;
using Npgsql;

namespace Compliance.Api.Grants;

/// <summary>
/// Resolves the facts the policy needs: for each entity a signal names, the effective state of the
/// requesting tenant's latest grant at this instant. Read from Postgres on every request that found
/// something, so a grant or revocation is effective for the very next request on every node.
/// </summary>
internal sealed class GrantLedger(NpgsqlDataSource db, TimeProvider clock)
{
    public async Task<IReadOnlyList<GrantFact>> ResolveAsync(Guid tenantId, IReadOnlyList<EntityRef> entities, IReadOnlyCollection<string> requestContexts, CancellationToken ct)
    {
        var characters = entities.Where(e => e.Type == "character").DistinctBy(e => e.Id).ToList();
        if (characters.Count == 0)
        {
            return [];
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        var latest = (await conn.QueryAsync<Grant>(new CommandDefinition(
            $"""
            select distinct on (character_id) {GrantEndpoints.Columns}
            from grants
            where tenant_id = @tenantId and character_id = any(@ids)
            order by character_id, created_at desc, id
            """,
            new { tenantId, ids = characters.Select(c => c.Id).ToArray() },
            cancellationToken: ct))).ToDictionary(g => g.CharacterId);

        var now = clock.GetUtcNow();
        return characters.Select(c => latest.TryGetValue(c.Id, out var g) ? Fact(c, g, now, requestContexts) : new GrantFact(c, GrantState.None)).ToList();
    }

    internal static GrantFact Fact(EntityRef entity, Grant g, DateTimeOffset now, IReadOnlyCollection<string> requestContexts)
    {
        GrantState state;
        string? detail = null;
        if (g.RevokedAt is not null)
        {
            state = GrantState.Revoked;
            detail = g.RevocationReason;
        }
        else if (g.Kind == GrantKinds.Deny)
        {
            state = GrantState.Denied;
        }
        else if (g.ValidFrom is { } from && now < from)
        {
            state = GrantState.NotYetValid;
            detail = $"valid from {from:O}";
        }
        else if (g.ValidUntil is { } until && now >= until)
        {
            state = GrantState.Expired;
            detail = $"expired {until:O}";
        }
        else if (g.DisallowedContexts.Intersect(requestContexts).ToList() is { Count: > 0 } hit)
        {
            state = GrantState.ContextRestricted;
            detail = "disallowed context: " + string.Join(", ", hit);
        }
        else
        {
            state = g.Kind == GrantKinds.AllowWithRevenueShare ? GrantState.AllowedWithRevenueShare : GrantState.Allowed;
        }

        return new GrantFact(entity, state, g.Id, g.RevenueShareBasisPoints, g.AttributionRequired, detail);
    }
}
