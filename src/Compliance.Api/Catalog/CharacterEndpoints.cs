using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Api.Names;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Compliance.Api.Catalog;

/// <summary>
/// Rights holders manage their own characters. Every query is scoped by the caller's rights holder. A character's
/// names and aliases are owned (docs/decisions/ADR-008-name-ownership.md): one that reads like another owner's
/// name, or like another of the holder's own characters, is refused with 409.
/// </summary>
internal static class CharacterEndpoints
{
    private const string Columns = CharacterQueries.Columns;

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
        var (examples, localized) = CleanSemantics(request);
        var id = Guid.NewGuid();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Names are claimed before the row exists (lock order: keys, then the catalog-changed trigger); localised
        // aliases are names the matcher looks for, so they are owned too.
        if (await NameClaims.SetAsync(conn, tx, NameClaimant.Character(id, holder), aliases.Concat(localized.Values.SelectMany(v => v)).Prepend(name), ct) is { } conflict)
        {
            return conflict.ToProblem("character");
        }

        try
        {
            var created = (await conn.QuerySingleAsync<CharacterRow>(new CommandDefinition(
                $"""
                insert into characters (id, rights_holder_id, canonical_name, aliases, franchise, description, example_prompts, localized_aliases)
                values (@id, @holder, @name, @aliases, @franchise, @description, @examples, @localized::jsonb)
                returning {Columns}
                """,
                new { id, holder, name, aliases, franchise = request.Franchise?.Trim(), description = request.Description?.Trim(), examples, localized = LocalizedJson(localized) },
                tx,
                cancellationToken: ct))).ToCharacter();
            await tx.CommitAsync(ct);
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
        return TypedResults.Ok<IEnumerable<Character>>(await CharacterQueries.ListAsync(conn, http.User.RequiredRightsHolderId(), ct));
    }

    private static async Task<Results<Ok<Character>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var found = await conn.QuerySingleOrDefaultAsync<CharacterRow>(new CommandDefinition(
            $"select {Columns} from characters where id = @id and rights_holder_id = @holder and kind = 'character'",
            new { id, holder = http.User.RequiredRightsHolderId() },
            cancellationToken: ct));
        // Another holder's character is indistinguishable from a missing one.
        return found is null ? Problems.NotFound("Character not found.") : TypedResults.Ok(found.ToCharacter());
    }

    private static async Task<Results<Ok<Character>, ProblemHttpResult>> Update(
        Guid id, CharacterRequest request, HttpContext http, NpgsqlDataSource db, CatalogIndex catalog, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        var (name, aliases) = Clean(request);
        var (examples, localized) = CleanSemantics(request);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Lock order: the character's row, then its names' keys, then the catalog-changed trigger of the update.
        if (await conn.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                "select id from characters where id = @id and rights_holder_id = @holder and kind = 'character' for update", new { id, holder }, tx, cancellationToken: ct)) is null)
        {
            return Problems.NotFound("Character not found.");
        }

        // Names dropped here are released, so another owner may register them next.
        if (await NameClaims.SetAsync(conn, tx, NameClaimant.Character(id, holder), aliases.Concat(localized.Values.SelectMany(v => v)).Prepend(name), ct) is { } conflict)
        {
            return conflict.ToProblem("character");
        }

        try
        {
            // The description's embeddings are refreshed by the catalog load below (source_hash no longer matches).
            var updated = (await conn.QuerySingleAsync<CharacterRow>(new CommandDefinition(
                $"""
                update characters set canonical_name = @name, aliases = @aliases, franchise = @franchise, description = @description,
                       example_prompts = @examples, localized_aliases = @localized::jsonb, updated_at = now()
                where id = @id and rights_holder_id = @holder
                returning {Columns}
                """,
                new { id, holder, name, aliases, franchise = request.Franchise?.Trim(), description = request.Description?.Trim(), examples, localized = LocalizedJson(localized) },
                tx,
                cancellationToken: ct))).ToCharacter();
            await tx.CommitAsync(ct);
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

    private static (string[] Examples, Dictionary<string, string[]> Localized) CleanSemantics(CharacterRequest request) =>
        ((request.ExamplePrompts ?? []).Select(p => p.Trim()).ToArray(),
         (request.LocalizedAliases ?? new Dictionary<string, IReadOnlyList<string>>())
            .ToDictionary(l => l.Key.Trim(), l => l.Value.Select(a => a.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray(), StringComparer.OrdinalIgnoreCase));

    private static string LocalizedJson(Dictionary<string, string[]> localized) => System.Text.Json.JsonSerializer.Serialize(localized);
}

/// <summary>A characters row as Dapper reads it: the localised aliases arrive as JSON text.</summary>
internal sealed record CharacterRow
{
    public Guid Id { get; init; }
    public Guid RightsHolderId { get; init; }
    public string CanonicalName { get; init; } = "";
    public string[] Aliases { get; init; } = [];
    public string? Franchise { get; init; }
    public string? Description { get; init; }
    public string[] ExamplePrompts { get; init; } = [];
    public string LocalizedAliasesJson { get; init; } = "{}";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public Character ToCharacter() => new()
    {
        Id = Id,
        RightsHolderId = RightsHolderId,
        CanonicalName = CanonicalName,
        Aliases = Aliases,
        Franchise = Franchise,
        Description = Description,
        ExamplePrompts = ExamplePrompts,
        LocalizedAliases = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string[]>>(LocalizedAliasesJson) ?? [],
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
    };
}
