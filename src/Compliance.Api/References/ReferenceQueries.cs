using Dapper;
using Npgsql;

namespace Compliance.Api.References;

/// <summary>Reference images as the API and the console read them; every read is scoped by the rights holder.</summary>
internal static class ReferenceQueries
{
    internal const string Columns = $"""
        public_id as {nameof(Reference.Id)}, character_id as {nameof(Reference.CharacterId)}, source as {nameof(Reference.Source)},
        blob_sha256 as {nameof(Reference.BlobSha256)}, media_type as {nameof(Reference.MediaType)}, width as {nameof(Reference.Width)},
        height as {nameof(Reference.Height)}, file_name as {nameof(Reference.FileName)}, pdq_hash as {nameof(Reference.PdqHash)},
        pdq_quality as {nameof(Reference.PdqQuality)}, matchable as {nameof(Reference.Matchable)}, created_at as {nameof(Reference.CreatedAt)}
        """;

    /// <summary>Every live reference of the holder's characters, in upload order (one query for a whole catalog page).</summary>
    public static async Task<IReadOnlyList<Reference>> ListForHolderAsync(NpgsqlConnection conn, Guid holder, CancellationToken ct) =>
        [.. await conn.QueryAsync<Reference>(new CommandDefinition(
            $"select {Columns} from reference_images where rights_holder_id = @holder and deleted_at is null order by id",
            new { holder },
            cancellationToken: ct))];
}
