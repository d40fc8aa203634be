using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Names;

/// <summary>A name that could not be claimed: its key is another owner's, or (within one owner) another entity's.</summary>
/// <param name="Name">The caller's own spelling.</param>
/// <param name="Key">Its matching key.</param>
/// <param name="OwnEntityName">When the clash is with another of the caller's own entities, that entity's name; otherwise null.</param>
internal sealed record NameConflict(string Name, string Key, string? OwnEntityName)
{
    /// <summary>
    /// 409 naming the caller's conflicting name and its matching key. When the holder is another owner, nothing about
    /// it is said: not its id, not the entity, not its name or its own spelling.
    /// </summary>
    public ProblemHttpResult ToProblem(string ownEntityNoun)
    {
        var extensions = new Dictionary<string, object?> { ["name"] = Name, ["matchingKey"] = Key };
        return OwnEntityName is { } own
            ? TypedResults.Problem(
                title: "Duplicate name.",
                detail: $"'{Name}' is already used by your {ownEntityNoun} '{own}': one name identifies one of your {ownEntityNoun}s.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: extensions)
            : TypedResults.Problem(
                title: "Name already registered.",
                detail: $"'{Name}' reads as a name another owner has registered (matching key '{Key}'). A name belongs to the first owner " +
                        "who registers it, whatever its spelling; an admin can approve a shared claim.",
                statusCode: StatusCodes.Status409Conflict,
                extensions: extensions);
    }
}

/// <summary>
/// Claims and releases the names of one entity, inside the caller's transaction, so a name is owned exactly when
/// the entity that uses it is saved (docs/decisions/ADR-008-name-ownership.md).
/// </summary>
/// <remarks>
/// Lock order, the same on every path: the entity's row, then the touched keys (transaction-scoped advisory locks,
/// taken in one statement in ascending order), then <c>catalog_state</c> (the catalog-changed triggers). Callers
/// therefore claim names after locking (or before inserting) the entity row and before updating it. The
/// <c>name_keys</c> primary key and the <c>name_claims</c> holder trigger enforce the rule even for a writer that
/// skipped the locks.
/// </remarks>
internal static class NameClaims
{
    /// <summary>Class of the per-key advisory locks (two-int form): "Name".</summary>
    private const int LockClass = 0x4E616D65;

    /// <summary>Makes <paramref name="names"/> exactly the names <paramref name="claimant"/> holds: claims new keys,
    /// releases dropped ones (a key nobody uses any more is free again). Returns the first conflict, in the order the
    /// names were given, or null; on a conflict nothing is claimed and the caller must roll back.</summary>
    public static async Task<NameConflict?> SetAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, NameClaimant claimant, IEnumerable<string> names, CancellationToken ct) =>
        (await ClaimAsync(conn, tx, claimant, names, flagConflicts: false, ct)).FirstOrDefault();

    /// <summary>
    /// As <see cref="SetAsync"/>; with <paramref name="flagConflicts"/> (the backfill of names stored before
    /// ownership existed) a conflicting name is recorded in <c>name_flags</c> and the rest are still claimed.
    /// </summary>
    internal static async Task<IReadOnlyList<NameConflict>> ClaimAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, NameClaimant claimant, IEnumerable<string> names, bool flagConflicts, CancellationToken ct)
    {
        // One spelling per key, the first given, so a conflict quotes the caller's own first colliding spelling.
        var wanted = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var name in names)
        {
            var key = NameKeys.Of(name);
            if (key.Length > 0 && wanted.TryAdd(key, name.Trim()))
            {
                order.Add(key);
            }
        }

        var held = (await conn.QueryAsync<string>(new CommandDefinition(
            "select key from name_claims where entity_type = @EntityType and entity_id = @EntityId", claimant, tx, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
        var adding = order.Where(k => !held.Contains(k)).ToArray();
        var releasing = held.Where(k => !wanted.ContainsKey(k)).ToArray();
        await LockKeysAsync(conn, tx, [.. adding, .. releasing], ct);

        var conflicts = adding.Length == 0 ? [] : await ConflictsAsync(conn, tx, claimant, adding, wanted, ct);
        if (conflicts.Count > 0 && !flagConflicts)
        {
            return conflicts;
        }

        var lost = conflicts.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var claiming = order.Where(k => !lost.Contains(k)).ToArray();
        if (claiming.Length > 0)
        {
            await conn.ExecuteAsync(new CommandDefinition(
                """
                insert into name_claims (entity_type, entity_id, key, owner_kind, owner_id, name)
                select @EntityType, @EntityId, k, @OwnerKind, @OwnerId, n from unnest(@keys::text[], @spellings::text[]) as t(k, n)
                on conflict (entity_type, entity_id, key) do update set name = excluded.name where name_claims.name <> excluded.name
                """,
                new { claimant.EntityType, claimant.EntityId, claimant.OwnerKind, claimant.OwnerId, keys = claiming, spellings = claiming.Select(k => wanted[k]).ToArray() },
                tx,
                cancellationToken: ct));
        }

        if (releasing.Length > 0)
        {
            await conn.ExecuteAsync(new CommandDefinition(
                """
                delete from name_claims where entity_type = @EntityType and entity_id = @EntityId and key = any(@releasing);
                -- A key nobody uses any more is free again, unless an admin's share reserves it for its owners.
                delete from name_keys k where k.key = any(@releasing) and k.share_id is null and not exists (select from name_claims c where c.key = k.key);
                """,
                new { claimant.EntityType, claimant.EntityId, releasing }, tx, cancellationToken: ct));
        }

        if (flagConflicts && conflicts.Count > 0)
        {
            await conn.ExecuteAsync(new CommandDefinition(
                """
                insert into name_flags (entity_type, entity_id, key, owner_kind, owner_id, name, reason)
                select @EntityType, @EntityId, k, @OwnerKind, @OwnerId, n, r from unnest(@keys::text[], @spellings::text[], @reasons::text[]) as t(k, n, r)
                on conflict (entity_type, entity_id, key) do nothing
                """,
                new
                {
                    claimant.EntityType, claimant.EntityId, claimant.OwnerKind, claimant.OwnerId,
                    keys = conflicts.Select(c => c.Key).ToArray(),
                    spellings = conflicts.Select(c => c.Name).ToArray(),
                    reasons = conflicts.Select(c => c.OwnEntityName is null ? "held by another owner" : "used by another entity of the same owner").ToArray(),
                },
                tx,
                cancellationToken: ct));
        }
        else if (!flagConflicts)
        {
            // Saved in full: every name of the entity is now claimed, so none of its old flags still applies.
            await conn.ExecuteAsync(new CommandDefinition(
                "delete from name_flags where entity_type = @EntityType and entity_id = @EntityId", claimant, tx, cancellationToken: ct));
        }

        return conflicts;
    }

    /// <summary>Serialises every change to these keys until the transaction ends (one statement, ascending lock order).</summary>
    internal static async Task LockKeysAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string[] keys, CancellationToken ct)
    {
        if (keys.Length == 0)
        {
            return;
        }

        // Volatile functions in the select list run after the sort, so the locks are taken in ascending order.
        await conn.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_xact_lock(@LockClass, h) from (select distinct hashtext(k) as h from unnest(@keys::text[]) as k) as s order by h",
            new { LockClass, keys }, tx, cancellationToken: ct));
    }

    private static async Task<List<NameConflict>> ConflictsAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, NameClaimant claimant, string[] adding, Dictionary<string, string> wanted, CancellationToken ct)
    {
        // The primary key lets one owner in per key; under the key locks nobody can change a holder between these statements.
        await conn.ExecuteAsync(new CommandDefinition(
            "insert into name_keys (key, owner_kind, owner_id) select k, @OwnerKind, @OwnerId from unnest(@adding::text[]) as k on conflict (key) do nothing",
            new { claimant.OwnerKind, claimant.OwnerId, adding }, tx, cancellationToken: ct));
        var othersKeys = (await conn.QueryAsync<string>(new CommandDefinition(
            """
            select k.key from name_keys k
            where k.key = any(@adding)
              and k.owner_id is distinct from @OwnerId
              and not exists (select from name_share_owners o where o.share_id = k.share_id and o.owner_id = @OwnerId)
            """,
            new { claimant.OwnerId, adding }, tx, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
        var ownOthers = (await conn.QueryAsync<(string Key, string Name)>(new CommandDefinition(
            """
            select c.key, coalesce(ch.canonical_name, p.display_name, f.name, c.name)
            from name_claims c
            left join characters ch on c.entity_type = 'character' and ch.id = c.entity_id
            left join likeness_profiles p on c.entity_type = 'likeness' and p.id = c.entity_id
            left join public_figures f on c.entity_type = 'public_figure' and f.id = c.entity_id
            where c.key = any(@adding) and c.owner_id = @OwnerId and c.entity_type = @EntityType and c.entity_id <> @EntityId
            """,
            new { claimant.OwnerId, claimant.EntityType, claimant.EntityId, adding }, tx, cancellationToken: ct)))
            .GroupBy(r => r.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal);

        var conflicts = new List<NameConflict>();
        foreach (var key in adding)
        {
            if (othersKeys.Contains(key))
            {
                conflicts.Add(new NameConflict(wanted[key], key, null));
            }
            else if (ownOthers.TryGetValue(key, out var other))
            {
                conflicts.Add(new NameConflict(wanted[key], key, other));
            }
        }

        return conflicts;
    }
}
