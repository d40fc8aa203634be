using Dapper;
using Npgsql;

namespace Compliance.Api.Catalog;

/// <summary>A rights holder's characters as the API and the console both read them, scoped by the holder.</summary>
internal static class CharacterQueries
{
    internal const string Columns = $"""
        id as {nameof(Character.Id)}, rights_holder_id as {nameof(Character.RightsHolderId)}, canonical_name as {nameof(Character.CanonicalName)},
        aliases as {nameof(Character.Aliases)}, franchise as {nameof(Character.Franchise)}, description as {nameof(Character.Description)},
        example_prompts as {nameof(Character.ExamplePrompts)}, localized_aliases::text as {nameof(CharacterRow.LocalizedAliasesJson)},
        created_at as {nameof(Character.CreatedAt)}, updated_at as {nameof(Character.UpdatedAt)}
        """;

    public static async Task<IReadOnlyList<Character>> ListAsync(NpgsqlConnection conn, Guid holder, CancellationToken ct) =>
        [.. (await conn.QueryAsync<CharacterRow>(new CommandDefinition(
            $"select {Columns} from characters where rights_holder_id = @holder and kind = 'character' order by canonical_name",
            new { holder },
            cancellationToken: ct))).Select(r => r.ToCharacter())];
}
