using Compliance.Api.Access;
using Compliance.Api.Catalog;
using Compliance.Api.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Names;

/// <summary>
/// Admins see who holds a name, approve a name shared by several owners (homonyms: two real people, two
/// unrelated characters), and find the duplicates that existed before name ownership did.
/// </summary>
internal static class NameAdminEndpoints
{
    private const string UseColumns = $"""
        entity_type as {nameof(NameUse.EntityType)}, entity_id as {nameof(NameUse.EntityId)}, owner_kind as {nameof(NameUse.OwnerKind)},
        owner_id as {nameof(NameUse.OwnerId)}, name as {nameof(NameUse.Name)}, key as {nameof(NameUse.MatchingKey)}
        """;

    public static RouteGroupBuilder MapNameAdmin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Roles.Admin);
        group.MapPost("/name-shares", Approve).Validate<NameShareRequest>().WithName("ApproveNameShare")
            .WithSummary("Let the listed owners all register one name (as the matcher reads it), with a reason; a prompt naming it then matches each of their entities.");
        group.MapGet("/name-shares", ListShares).WithName("ListNameShares").WithSummary("Approved name shares, newest first.");
        group.MapGet("/names", Lookup).WithName("LookUpName").WithSummary("Who holds a name, and which entities use it or were flagged for it.");
        group.MapGet("/name-flags", ListFlags).WithName("ListNameFlags")
            .WithSummary("Names stored before name ownership that lost their key to an earlier entity: not matched until resolved.");
        return group;
    }

    private static async Task<Results<Created<NameShare>, ProblemHttpResult>> Approve(
        NameShareRequest request, HttpContext http, NpgsqlDataSource db, CatalogIndex catalog, CancellationToken ct)
    {
        var name = request.Name!.Trim();
        var key = NameKeys.Of(name);
        var owners = request.Owners!.Select(o => new NameOwner(o.Kind, o.Id)).ToArray();
        var ownerIds = owners.Select(o => o.Id).ToArray();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        foreach (var owner in owners)
        {
            if (!await conn.ExecuteScalarAsync<bool>(new CommandDefinition(OwnerExists(owner.Kind!), new { id = owner.Id }, tx, cancellationToken: ct)))
            {
                return Problems.NotFound("Owner not found.", $"There is no {owner.Kind} {owner.Id} that can own names.");
            }
        }

        await NameClaims.LockKeysAsync(conn, tx, [key], ct);
        // A share adds owners; it never takes a name away from an owner that uses it.
        var users = (await conn.QueryAsync<Guid>(new CommandDefinition(
            "select owner_id from name_claims where key = @key union select owner_id from name_keys where key = @key and owner_id is not null",
            new { key }, tx, cancellationToken: ct))).ToArray();
        var unlisted = users.Except(ownerIds).Count();
        if (unlisted > 0)
        {
            return Problems.Conflict("The name is used by an owner this share does not list.",
                $"{unlisted} owner(s) already use '{name}' (matching key '{key}'); list them too. GET /v1/admin/names?name= shows who.");
        }

        var id = Guid.NewGuid();
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into name_shares (id, key, name, reason, approved_by) values (@id, @key, @name, @reason, @admin);
            insert into name_share_owners (share_id, owner_kind, owner_id) select @id, k, o from unnest(@kinds::text[], @ownerIds::uuid[]) as t(k, o);
            insert into name_keys (key, share_id) values (@key, @id)
            on conflict (key) do update set owner_kind = null, owner_id = null, share_id = excluded.share_id;
            """,
            new { id, key, name, reason = request.Reason!.Trim(), admin = http.User.KeyId(), kinds = owners.Select(o => o.Kind).ToArray(), ownerIds },
            tx,
            cancellationToken: ct));

        // Duplicates flagged by the backfill whose owner is now in the share get their name back (one entity per owner and type).
        await conn.ExecuteAsync(new CommandDefinition(
            """
            with promoted as (
                insert into name_claims (entity_type, entity_id, key, owner_kind, owner_id, name)
                select distinct on (f.owner_id, f.entity_type) f.entity_type, f.entity_id, f.key, f.owner_kind, f.owner_id, f.name
                from name_flags f
                where f.key = @key and f.owner_id = any(@ownerIds)
                  and not exists (select from name_claims c where c.key = f.key and c.owner_id = f.owner_id and c.entity_type = f.entity_type)
                order by f.owner_id, f.entity_type, f.flagged_at, f.entity_id
                returning entity_type, entity_id)
            delete from name_flags f using promoted p where f.key = @key and f.entity_type = p.entity_type and f.entity_id = p.entity_id
            """,
            new { key, ownerIds },
            tx,
            cancellationToken: ct));
        await tx.CommitAsync(ct);
        await catalog.RefreshAsync(ct);
        var share = (await SharesAsync(conn, id, ct)).Single();
        return TypedResults.Created($"/v1/admin/name-shares/{id}", share);
    }

    private static async Task<Ok<IReadOnlyList<NameShare>>> ListShares(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await SharesAsync(conn, null, ct));
    }

    private static async Task<Results<Ok<NameOwnership>, ProblemHttpResult>> Lookup(string? name, NpgsqlDataSource db, CancellationToken ct)
    {
        if (name is null || name.Length > 200 || !NameKeys.IsMatchable(name))
        {
            return Problems.BadRequest("Bad name.", "name is required, at most 200 characters, with a letter or digit.");
        }

        var key = NameKeys.Of(name);
        await using var conn = await db.OpenConnectionAsync(ct);
        var holder = await conn.QuerySingleOrDefaultAsync<(string? OwnerKind, Guid? OwnerId, Guid? ShareId)>(new CommandDefinition(
            "select owner_kind, owner_id, share_id from name_keys where key = @key", new { key }, cancellationToken: ct));
        var claims = await conn.QueryAsync<NameUse>(new CommandDefinition(
            $"select {UseColumns}, claimed_at as {nameof(NameUse.At)} from name_claims where key = @key order by claimed_at, entity_id", new { key }, cancellationToken: ct));
        var flags = await conn.QueryAsync<NameUse>(new CommandDefinition(
            $"select {UseColumns}, reason as {nameof(NameUse.Reason)}, flagged_at as {nameof(NameUse.At)} from name_flags where key = @key order by flagged_at, entity_id",
            new { key }, cancellationToken: ct));
        var owner = holder.OwnerId is { } o ? new NameOwner(holder.OwnerKind, o) : null;
        return TypedResults.Ok(new NameOwnership(name.Trim(), key, owner, holder.ShareId, [.. claims], [.. flags]));
    }

    private static async Task<Ok<IEnumerable<NameUse>>> ListFlags(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await conn.QueryAsync<NameUse>(new CommandDefinition(
            $"select {UseColumns}, reason as {nameof(NameUse.Reason)}, flagged_at as {nameof(NameUse.At)} from name_flags order by flagged_at, key, entity_id limit 1000",
            cancellationToken: ct)));
    }

    private static async Task<IReadOnlyList<NameShare>> SharesAsync(NpgsqlConnection conn, Guid? id, CancellationToken ct)
    {
        var rows = await conn.QueryAsync<ShareRow>(new CommandDefinition(
            $"""
            select s.id as {nameof(ShareRow.Id)}, s.name as {nameof(ShareRow.Name)}, s.key as {nameof(ShareRow.MatchingKey)}, s.reason as {nameof(ShareRow.Reason)},
                   s.approved_by as {nameof(ShareRow.ApprovedBy)}, s.approved_at as {nameof(ShareRow.ApprovedAt)},
                   array(select o.owner_kind from name_share_owners o where o.share_id = s.id order by o.owner_kind, o.owner_id) as {nameof(ShareRow.OwnerKinds)},
                   array(select o.owner_id from name_share_owners o where o.share_id = s.id order by o.owner_kind, o.owner_id) as {nameof(ShareRow.OwnerIds)}
            from name_shares s
            where @id::uuid is null or s.id = @id
            order by s.approved_at desc, s.id
            limit 1000
            """,
            new { id },
            cancellationToken: ct));
        return [.. rows.Select(r => new NameShare
        {
            Id = r.Id,
            Name = r.Name,
            MatchingKey = r.MatchingKey,
            Owners = [.. r.OwnerKinds.Zip(r.OwnerIds, (k, o) => new NameOwner(k, o))],
            Reason = r.Reason,
            ApprovedBy = r.ApprovedBy,
            ApprovedAt = r.ApprovedAt,
        })];
    }

    /// <summary>A public figure owns its names only while it is on the list and not linked to a profile (then the profile does).</summary>
    private static string OwnerExists(string kind) => kind switch
    {
        NameOwnerKinds.LikenessProfile => "select exists (select from likeness_profiles where id = @id)",
        NameOwnerKinds.RightsHolder => "select exists (select from rights_holders where id = @id)",
        NameOwnerKinds.PublicFigure => "select exists (select from public_figures where id = @id and removed_at is null and profile_id is null)",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Validated before."),
    };

    private sealed record ShareRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public string MatchingKey { get; init; } = "";
        public string Reason { get; init; } = "";
        public Guid ApprovedBy { get; init; }
        public DateTimeOffset ApprovedAt { get; init; }
        public string[] OwnerKinds { get; init; } = [];
        public Guid[] OwnerIds { get; init; } = [];
    }
}
