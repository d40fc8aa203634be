using Compliance.Api.Infrastructure;
using Compliance.Policies.Model;
using Dapper;
using Npgsql;

namespace Compliance.Api.Grants;

/// <summary>
/// Resolves the facts the policy needs: for each entity a signal names, the effective state of the
/// requesting tenant's latest grant at this instant. The latest grant rows are cached per node and trusted only while
/// the cluster-wide grant-change number, read with the request's key check by a read that started after the request
/// arrived, is the one they were read under (ADR-031): a grant, denial or revocation committed anywhere before a
/// request arrived is seen by that request, and an unchanged grant costs no query.
/// </summary>
internal sealed class GrantLedger(NpgsqlDataSource db, TimeProvider clock, ContextDetector detector, ChangeNumberReader changes)
{
    /// <summary>A bound on the rows kept (tenants × works named); past it the cache starts again empty.</summary>
    internal const int MaxCachedRows = 100_000;

    private readonly ChangeNumberCache<(Guid Tenant, Guid Work), Grant> _cache = new(MaxCachedRows);

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

        var latest = await LatestAsync(tenantId, characters.Select(c => c.Id), ct);

        // Only pay for context detection when a grant in play actually excludes contexts.
        var detected = text is not null && latest.Values.Any(g => g.DisallowedContexts.Length > 0)
            ? await detector.DetectAsync(text, ct)
            : null;
        var now = clock.GetUtcNow();
        return characters.Select(c => latest.TryGetValue(c.Id, out var g) ? Fact(c, g, now, requestContexts, detected) : new GrantFact(c, GrantState.None)).ToList();
    }

    /// <summary>
    /// The tenant's latest grant per work, from the cache when it was filled under this request's grant-change number
    /// or a later one (rows read after the number was seen hold every change up to it), else from the database.
    /// </summary>
    private async Task<Dictionary<Guid, Grant>> LatestAsync(Guid tenantId, IEnumerable<Guid> workIds, CancellationToken ct)
    {
        var version = (await changes.CurrentAsync(ct)).Grants;
        var rows = await _cache.GetAsync(version, workIds.Select(id => (tenantId, id)), async (keys, token) =>
        {
            await using var conn = await db.OpenConnectionAsync(token);
            return (await conn.QueryAsync<Grant>(new CommandDefinition(
                $"""
                select distinct on (character_id) {GrantEndpoints.Columns}
                from grants
                where tenant_id = @tenantId and character_id = any(@ids)
                order by character_id, created_at desc, id
                """,
                new { tenantId, ids = keys.Select(k => k.Work).ToArray() },
                cancellationToken: token))).ToDictionary(g => (tenantId, g.WorkId));
        }, ct);

        var latest = new Dictionary<Guid, Grant>(rows.Count);
        foreach (var ((_, work), grant) in rows)
        {
            if (grant is not null)
            {
                latest[work] = grant;
            }
        }

        return latest;
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
