using Compliance.Policies.Model;
using Dapper;
using Npgsql;

namespace Compliance.Api.Grants;

/// <summary>
/// Resolves the facts the policy needs: for each entity a signal names, the effective state of the
/// requesting tenant's latest grant at this instant. Read from Postgres on every request that found
/// something, so a grant or revocation is effective for the very next request on every node.
/// </summary>
internal sealed class GrantLedger(NpgsqlDataSource db, TimeProvider clock, ContextDetector detector)
{
    /// <param name="tenantId">The requesting platform.</param>
    /// <param name="entities">The entities the signals name; only catalog works (characters, recordings) are looked up here.</param>
    /// <param name="requestContexts">Contexts the platform declared for the request.</param>
    /// <param name="text">The prompt, if any: when a grant excludes contexts, the content-context classifier looks for them in it.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<IReadOnlyList<GrantFact>> ResolveAsync(
        Guid tenantId, IReadOnlyList<EntityRef> entities, IReadOnlyCollection<string> requestContexts, string? text, CancellationToken ct)
    {
        // Characters and recordings share the catalog's id space and the grants table: one query for both.
        var characters = entities.Where(e => e.Type is WorkTypes.Character or WorkTypes.Recording).DistinctBy(e => e.Id).ToList();
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
            cancellationToken: ct))).ToDictionary(g => g.WorkId);

        // Only pay for context detection when a grant in play actually excludes contexts.
        var detected = text is not null && latest.Values.Any(g => g.DisallowedContexts.Length > 0)
            ? await detector.DetectAsync(text, ct)
            : null;
        var now = clock.GetUtcNow();
        return characters.Select(c => latest.TryGetValue(c.Id, out var g) ? Fact(c, g, now, requestContexts, detected) : new GrantFact(c, GrantState.None)).ToList();
    }

    internal static GrantFact Fact(EntityRef entity, Grant g, DateTimeOffset now, IReadOnlyCollection<string> requestContexts, DetectedContexts? detected)
    {
        var contexts = requestContexts.Concat(detected?.Detected.Select(d => d.Context) ?? []).ToHashSet(StringComparer.Ordinal);
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
        else if (g.DisallowedContexts.Where(contexts.Contains).ToList() is { Count: > 0 } hit)
        {
            state = GrantState.ContextRestricted;
            detail = "disallowed context: " + string.Join(", ", hit.Select(h => detected?.Describe(h) ?? h + " (declared by the platform)"));
        }
        else if (g.DisallowedContexts.Length > 0 && detected?.Failed is { } failure)
        {
            // The grant excludes contexts and we could not check for them: it cannot be relied on (fail closed).
            state = GrantState.ContextRestricted;
            detail = $"the grant excludes {string.Join(", ", g.DisallowedContexts)}, and the content-context classifier failed ({failure})";
        }
        else
        {
            state = g.Kind == GrantKinds.AllowWithRevenueShare ? GrantState.AllowedWithRevenueShare : GrantState.Allowed;
        }

        return new GrantFact(entity, state, g.Id, g.RevenueShareBasisPoints, g.AttributionRequired, detail);
    }
}
