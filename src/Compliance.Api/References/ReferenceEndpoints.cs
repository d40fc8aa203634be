using System.Globalization;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Api.Screening;
using Compliance.Imaging.Decoding;
using Compliance.Classifiers.Images;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.LocalFeatures;
using Compliance.Imaging.Pdq;
using Compliance.Storage.Blobs;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Compliance.Generation.Gates;

namespace Compliance.Api.References;

internal sealed record Reference
{
    public Guid Id { get; init; }
    public Guid CharacterId { get; init; }
    public string Source { get; init; } = "";
    public string? BlobSha256 { get; init; }
    public string? MediaType { get; init; }
    public int? Width { get; init; }
    public int? Height { get; init; }
    public string? FileName { get; init; }
    public string PdqHash { get; init; } = "";
    public int PdqQuality { get; init; }
    public bool Matchable { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed record HashImportResult(int Imported, int NotMatchable);

/// <summary>
/// Reference banks: rights holders upload images of their characters (or bare PDQ hashes, for artwork
/// they will not hand over). Each is hashed at upload; deleting one removes it from matching at once.
/// </summary>
internal static class ReferenceEndpoints
{
    public const int MaxCsvLines = 100_000;

    private const string Columns = ReferenceQueries.Columns;

    public static RouteGroupBuilder MapReferences(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/characters/{characterId:guid}/references").WithTags("Reference banks").RequireAuthorization(Roles.RightsHolder);
        group.MapPost("/", Upload).DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(MediaTypes.MaxImageBytes + (64 * 1024)))
            .Accepts<IFormFile>("multipart/form-data").WithName("UploadReferenceImage")
            .WithSummary("Add a reference image (multipart field 'file': PNG, JPEG or WebP, at most 20 MiB) to one of your characters.");
        group.MapPost("/hashes", ImportHashes).Accepts<string>("text/csv").WithMetadata(new RequestSizeLimitAttribute(16 * 1024 * 1024))
            .WithName("ImportReferenceHashes")
            .WithSummary("Import bare PDQ hashes from CSV lines 'pdq_hash,quality[,file]' (the output of the pdq command); all or nothing.");
        group.MapGet("/", List).WithName("ListReferences").WithSummary("List a character's references.");
        group.MapDelete("/{referenceId:guid}", Delete).WithName("DeleteReference").WithSummary("Remove a reference from matching, at once.");
        return group;
    }

    private static async Task<Results<Created<Reference>, ProblemHttpResult>> Upload(
        Guid characterId, HttpContext http, NpgsqlDataSource db, LocalBlobStore blobs, SafeImageDecoder decoder, VisualEmbedder embedder,
        ReferenceBankIndex bank, DecodeGate decoding, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        if (!await OwnsAsync(db, characterId, holder, ct))
        {
            return Problems.NotFound("Character not found.");
        }

        using var upload = await Uploads.ReadForDecodingAsync(http, decoding, MediaTypes.MaxImageBytes, ct);
        if (upload.Problem is not null)
        {
            return upload.Problem;
        }

        var bytes = upload.Bytes!;
        var mediaType = MediaTypes.RequireImage(bytes);
        var image = decoder.Decode(bytes);
        // Trimmed of uniform borders, then PDQ, eight embeddings (rotations and mirrors: ResNet18 alone does not
        // recognise a rotated copy) and ORB keypoints (copies that fill only part of a picture): ADR-016.
        var features = ReferenceFeatures.Of(image, embedder);
        var pdq = features.Pdq;
        var embedding = features.Embeddings.SelectMany(e => e).ToArray();
        var sha = await blobs.PutAsync(bytes, ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        var created = await conn.QuerySingleAsync<Reference>(new CommandDefinition(
            $"""
            insert into reference_images (public_id, character_id, rights_holder_id, source, blob_sha256, media_type, width, height, file_name,
                                          pdq_hash, pdq_quality, matchable, embedding, embedding_model, local_features, local_features_version)
            values (@id, @characterId, @holder, 'image', @sha, @mediaType, @width, @height, @fileName, @hash, @quality, @matchable,
                    @embedding, @embeddingModel, @localFeatures, @localFeaturesVersion)
            returning {Columns}
            """,
            new
            {
                id = Guid.NewGuid(), characterId, holder, sha, mediaType, width = image.SourceWidth, height = image.SourceHeight,
                fileName = Truncate(upload.FileName, 255), hash = pdq.Hash.ToString(), quality = pdq.Quality, matchable = pdq.IsMatchable,
                embedding, embeddingModel = embedder.ModelVersion,
                localFeatures = features.LocalFeatures.ToBytes(), localFeaturesVersion = LocalFeatureExtractor.ReferenceRecipe,
            },
            cancellationToken: ct));
        await bank.RefreshAsync(ct);
        return TypedResults.Created($"/v1/characters/{characterId}/references/{created.Id}", created);
    }

    private static async Task<Results<Created<HashImportResult>, ProblemHttpResult>> ImportHashes(
        Guid characterId, HttpContext http, NpgsqlDataSource db, ReferenceBankIndex bank, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        if (!await OwnsAsync(db, characterId, holder, ct))
        {
            return Problems.NotFound("Character not found.");
        }

        using var reader = new StreamReader(http.Request.Body);
        var parsed = await ParseCsvAsync(reader, ct);
        if (parsed.Errors.Count > 0)
        {
            return TypedResults.Problem(
                title: "The CSV has errors; nothing was imported.",
                detail: string.Join("; ", parsed.Errors.Take(20)) + (parsed.Errors.Count > 20 ? $"; … {parsed.Errors.Count - 20} more" : ""),
                statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = parsed.Errors.Take(200).ToArray() });
        }

        if (parsed.Rows.Count == 0)
        {
            return Problems.BadRequest("The CSV has no hashes.", "Expected lines 'pdq_hash,quality[,file]'.");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into reference_images (public_id, character_id, rights_holder_id, source, file_name, pdq_hash, pdq_quality, matchable)
            select gen_random_uuid(), @characterId, @holder, 'hash', f, h, q, q >= @minQuality
            from unnest(@hashes, @qualities, @files) as t(h, q, f)
            """,
            new
            {
                characterId, holder, minQuality = PdqHasher.MatchableQuality,
                hashes = parsed.Rows.Select(r => r.Hash).ToArray(),
                qualities = parsed.Rows.Select(r => r.Quality).ToArray(),
                files = parsed.Rows.Select(r => r.File).ToArray(),
            },
            cancellationToken: ct));
        await bank.RefreshAsync(ct);
        var notMatchable = parsed.Rows.Count(r => r.Quality < PdqHasher.MatchableQuality);
        return TypedResults.Created($"/v1/characters/{characterId}/references", new HashImportResult(parsed.Rows.Count, notMatchable));
    }

    private static async Task<Results<Ok<IEnumerable<Reference>>, ProblemHttpResult>> List(Guid characterId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        if (!await OwnsAsync(db, characterId, holder, ct))
        {
            return Problems.NotFound("Character not found.");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await conn.QueryAsync<Reference>(new CommandDefinition(
            $"select {Columns} from reference_images where character_id = @characterId and deleted_at is null order by id",
            new { characterId },
            cancellationToken: ct)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid characterId, Guid referenceId, HttpContext http, NpgsqlDataSource db, ReferenceBankIndex bank, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var deleted = await conn.ExecuteAsync(new CommandDefinition(
            """
            update reference_images set deleted_at = now()
            where public_id = @referenceId and character_id = @characterId and rights_holder_id = @holder and deleted_at is null
            """,
            new { referenceId, characterId, holder = http.User.RequiredRightsHolderId() },
            cancellationToken: ct));
        if (deleted == 0)
        {
            return Problems.NotFound("Reference not found.");
        }

        await bank.RefreshAsync(ct);
        return TypedResults.NoContent();
    }

    internal sealed record CsvRow(string Hash, int Quality, string? File);

    internal sealed record CsvParse(List<CsvRow> Rows, List<string> Errors);

    /// <summary>Parses 'pdq_hash,quality[,file]' lines; a header line, blank lines and '#' comments are skipped. Errors name the line.</summary>
    internal static async Task<CsvParse> ParseCsvAsync(TextReader reader, CancellationToken ct)
    {
        var rows = new List<CsvRow>();
        var errors = new List<string>();
        var lineNumber = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            if (lineNumber > MaxCsvLines)
            {
                errors.Add($"line {lineNumber}: more than {MaxCsvLines} lines; split the file");
                break;
            }

            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#') || (lineNumber == 1 && text.StartsWith("pdq_hash", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var parts = text.Split(',', 3);
            if (parts.Length < 2)
            {
                errors.Add($"line {lineNumber}: expected 'pdq_hash,quality[,file]'");
                continue;
            }

            var hash = parts[0].Trim().ToLowerInvariant();
            if (!PdqHash.TryParse(hash, out _) || hash.Length != PdqHash.HexLength)
            {
                errors.Add($"line {lineNumber}: '{Truncate(parts[0], 80)}' is not a 64-digit hex PDQ hash");
                continue;
            }

            if (!int.TryParse(parts[1].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var quality) || quality is < 0 or > 100)
            {
                errors.Add($"line {lineNumber}: quality '{Truncate(parts[1], 20)}' is not a whole number from 0 to 100");
                continue;
            }

            var file = parts.Length > 2 ? Truncate(parts[2].Trim(), 255) : null;
            if (StorableText.Problem(file) is { } problem)
            {
                errors.Add($"line {lineNumber}: file name: {problem}");
                continue;
            }

            rows.Add(new CsvRow(hash, quality, file));
        }

        return new CsvParse(rows, errors);
    }

    private static async Task<bool> OwnsAsync(NpgsqlDataSource db, Guid characterId, Guid holder, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select from characters where id = @characterId and rights_holder_id = @holder and kind = 'character')", new { characterId, holder }, cancellationToken: ct));
    }

    private static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
