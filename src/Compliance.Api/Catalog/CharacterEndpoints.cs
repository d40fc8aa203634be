using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Catalog;

/// <summary>Rights holders manage their own characters. Every query is scoped by the caller's rights holder.</summary>
internal static class CharacterEndpoints
{
    private const string Columns = $"""
        id as {nameof(Character.Id)}, rights_holder_id as {nameof(Character.RightsHolderId)}, canonical_name as {nameof(Character.CanonicalName)},
        aliases as {nameof(Character.Aliases)}, franchise as {nameof(Character.Franchise)}, description as {nameof(Character.Description)},
        created_at as {nameof(Character.CreatedAt)}, updated_at as {nameof(Character.UpdatedAt)}
        """;

    public static RouteGroupBuilder MapCharacters(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/characters").WithTags("Catalog").RequireAuthorization(Roles.RightsHolder);
        group.MapPost("/", Create).Validate<CharacterRequest>().WithName("CreateCharacter").WithSummary("Register a character in your catalog.");
        group.MapGet("/", List).WithName("ListCharacters").WithSummary("List your characters.");
        group.MapGet("/{id:guid}", Get).WithName("GetCharacter").WithSummary("Get one of your characters.");
        group.MapPut("/{id:guid}", Update).Validate<CharacterRequest>().WithName("UpdateCharacter").WithSummary("Replace a character's names and description.");
        return group;
    }

    private static async Task<Results<Created<Character>, ProblemHttpResult>> Create(
        CharacterRequest request, HttpContext http, NpgsqlDataSource db, CatalogIndex catalog, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        var (name, aliases) = Clean(request);
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await ConflictingName(conn, holder, null, name, aliases, ct) is { } conflict)
        {
            return conflict;
        }

        try
        {
            var created = await conn.QuerySingleAsync<Character>(new CommandDefinition(
                $"""
                insert into characters (id, rights_holder_id, canonical_name, aliases, franchise, description)
                values (@id, @holder, @name, @aliases, @franchise, @description)
                returning {Columns}
                """,
                new { id = Guid.NewGuid(), holder, name, aliases, franchise = request.Franchise?.Trim(), description = request.Description?.Trim() },
                cancellationToken: ct));
            await catalog.RefreshAsync(ct);
            return TypedResults.Created($"/v1/characters/{created.Id}", created);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Conflict("Duplicate character.", $"You already have a character named '{name}'.");
        }
    }

    private static async Task<Ok<IEnumerable<Character>>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await conn.QueryAsync<Character>(new CommandDefinition(
            $"select {Columns} from characters where rights_holder_id = @holder order by canonical_name",
            new { holder = http.User.RequiredRightsHolderId() },
            cancellationToken: ct)));
    }

    private static async Task<Results<Ok<Character>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var found = await conn.QuerySingleOrDefaultAsync<Character>(new CommandDefinition(
            $"select {Columns} from characters where id = @id and rights_holder_id = @holder",
            new { id, holder = http.User.RequiredRightsHolderId() },
            cancellationToken: ct));
        // Another holder's character is indistinguishable from a missing one.
        return found is null ? Problems.NotFound("Character not found.") : TypedResults.Ok(found);
    }

    private static async Task<Results<Ok<Character>, ProblemHttpResult>> Update(
        Guid id, CharacterRequest request, HttpContext http, NpgsqlDataSource db, CatalogIndex catalog, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        var (name, aliases) = Clean(request);
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await ConflictingName(conn, holder, id, name, aliases, ct) is { } conflict)
        {
            return conflict;
        }

        try
        {
            var updated = await conn.QuerySingleOrDefaultAsync<Character>(new CommandDefinition(
                $"""
                update characters set canonical_name = @name, aliases = @aliases, franchise = @franchise, description = @description, updated_at = now()
                where id = @id and rights_holder_id = @holder
                returning {Columns}
                """,
                new { id, holder, name, aliases, franchise = request.Franchise?.Trim(), description = request.Description?.Trim() },
                cancellationToken: ct));
            if (updated is null)
            {
                return Problems.NotFound("Character not found.");
            }

            await catalog.RefreshAsync(ct);
            return TypedResults.Ok(updated);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Conflict("Duplicate character.", $"You already have a character named '{name}'.");
        }
    }

    private static (string Name, string[] Aliases) Clean(CharacterRequest request) =>
        (request.CanonicalName!.Trim(), (request.Aliases ?? []).Select(a => a.Trim()).ToArray());

    /// <summary>A name or alias may identify only one of a holder's characters, or matches could not say which was meant.</summary>
    private static async Task<ProblemHttpResult?> ConflictingName(NpgsqlConnection conn, Guid holder, Guid? self, string name, string[] aliases, CancellationToken ct)
    {
        var names = aliases.Append(name).Select(n => n.ToLowerInvariant()).ToArray();
        var clash = await conn.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            """
            select c.canonical_name from characters c
            where c.rights_holder_id = @holder and (@self::uuid is null or c.id <> @self)
              and (lower(c.canonical_name) = any(@names) or exists (select from unnest(c.aliases) a where lower(a) = any(@names)))
            limit 1
            """,
            new { holder, self, names },
            cancellationToken: ct));
        return clash is null ? null : Problems.Conflict("Duplicate name.", $"A name or alias is already used by your character '{clash}'.");
    }
}
