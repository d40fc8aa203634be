using Compliance.Classifiers.Text;
using Dapper;
using Npgsql;

namespace Compliance.Api.Names;

/// <summary>
/// Claims the names of entities that hold no claim yet: every entity stored before migration 0006, and rows
/// written straight to the database (the demo seed). Runs at start-up, before the catalog is loaded, earliest
/// entity first (ties: entity type, then id), so on a live database with duplicates the earliest keeps the name
/// and each later duplicate is flagged in <c>name_flags</c> (and not matched) instead of failing the start.
/// </summary>
/// <remarks>
/// The matching key comes from the matcher's C# normaliser, which is why this is not SQL in the migration. Nodes
/// starting together serialise on a session advisory lock; each entity is its own transaction, so a large
/// catalog is claimed in steps and a crash resumes where it stopped.
/// </remarks>
internal static class NameClaimBackfill
{
    private const long LockKey = 0x4E616D65436C6D; // "NameClm"

    public static async Task<(int Entities, int Flagged)> RunAsync(NpgsqlDataSource db, ILogger logger, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: ct));
        try
        {
            var pending = (await conn.QueryAsync<Unclaimed>(new CommandDefinition(
                $"""
                select e.entity_type as {nameof(Unclaimed.EntityType)}, e.entity_id as {nameof(Unclaimed.EntityId)},
                       e.owner_kind as {nameof(Unclaimed.OwnerKind)}, e.owner_id as {nameof(Unclaimed.OwnerId)}, e.names as {nameof(Unclaimed.Names)}
                from (
                    select 'character' as entity_type, c.id as entity_id, 'rights_holder' as owner_kind, c.rights_holder_id as owner_id,
                           c.created_at, array[c.canonical_name] || c.aliases as names
                    from characters c where c.kind = 'character'  -- recordings are found by sound, not by name: they claim none
                    union all
                    select 'likeness', p.id, 'likeness_profile', p.id, p.created_at, array[p.display_name] || p.name_variants || p.handles
                    from likeness_profiles p
                    union all
                    select 'public_figure', f.id, case when f.profile_id is null then 'public_figure' else 'likeness_profile' end,
                           coalesce(f.profile_id, f.id), f.created_at, array[f.name] || f.aliases
                    from public_figures f where f.removed_at is null
                ) as e
                where not exists (select from name_claims n where n.entity_type = e.entity_type and n.entity_id = e.entity_id)
                  and not exists (select from name_flags g where g.entity_type = e.entity_type and g.entity_id = e.entity_id)
                order by e.created_at, e.entity_type, e.entity_id
                """,
                cancellationToken: ct))).ToList();

            var flagged = 0;
            foreach (var entity in pending)
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                await conn.ExecuteAsync(new CommandDefinition(LockRow(entity.EntityType), new { id = entity.EntityId }, tx, cancellationToken: ct));
                var claimant = new NameClaimant(entity.EntityType, entity.EntityId, entity.OwnerKind, entity.OwnerId);
                var conflicts = await NameClaims.ClaimAsync(conn, tx, claimant, entity.Names, flagConflicts: true, ct);
                await tx.CommitAsync(ct);
                flagged += conflicts.Count;
                foreach (var conflict in conflicts)
                {
                    logger.LogWarning("A name of {EntityType} {EntityId} was flagged, not claimed: its key '{Key}' already belongs to {Holder}",
                        entity.EntityType, entity.EntityId, conflict.Key, conflict.OwnEntityName is null ? "another owner" : "another entity of the same owner");
                }
            }

            if (pending.Count > 0)
            {
                logger.LogInformation("Claimed the names of {Entities} entities; {Flagged} names flagged as duplicates (GET /v1/admin/name-flags)", pending.Count, flagged);
            }

            return (pending.Count, flagged);
        }
        finally
        {
            await conn.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@LockKey)", new { LockKey }, cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>The same lock order as the endpoints: the entity's row before its keys.</summary>
    private static string LockRow(string entityType) => entityType switch
    {
        EntityTypes.Character => "select from characters where id = @id for update",
        EntityTypes.Likeness => "select from likeness_profiles where id = @id for update",
        EntityTypes.PublicFigure => "select from public_figures where id = @id for update",
        _ => throw new ArgumentOutOfRangeException(nameof(entityType), entityType, "Not an entity with names."),
    };

    private sealed record Unclaimed
    {
        public string EntityType { get; init; } = "";
        public Guid EntityId { get; init; }
        public string OwnerKind { get; init; } = "";
        public Guid OwnerId { get; init; }
        public string[] Names { get; init; } = [];
    }
}
