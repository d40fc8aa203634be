using Compliance.Api.Access;
using Compliance.Storage.Blobs;
using Dapper;
using Npgsql;
using SkiaSharp;

namespace Compliance.Api.WebConsole;

/// <summary>
/// Thumbnails of stored reference images and enrolled faces, for the console's evidence and catalog pages. Served only
/// through the console session and only to who may see them: auditors see any (they read all evidence), a rights holder
/// only its own characters' references, a likeness owner only their own enrolments. Anything else is a 404, so an id
/// does not tell whether it exists.
/// </summary>
internal static class ConsoleMedia
{
    /// <summary>The longest side of a thumbnail, in pixels.</summary>
    public const int ThumbnailSide = 160;

    public static void MapConsoleMedia(this WebApplication app)
    {
        app.MapGet(ConsoleExtensions.PathPrefix + "/media/{id:guid}", Thumbnail)
            .RequireAuthorization(p => p.RequireRole(Roles.Auditor, Roles.RightsHolder, Roles.LikenessOwner))
            .ExcludeFromDescription();
        app.MapGet(ConsoleExtensions.PathPrefix + "/statements/{id:guid}/lines.csv", StatementCsv)
            .RequireAuthorization(Roles.RightsHolder)
            .ExcludeFromDescription();
    }

    /// <summary>A statement's lines as CSV, the same file as <c>GET /v1/statements/{id}/lines.csv</c>, streamed.</summary>
    private static async Task<IResult> StatementCsv(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await Compliance.Settlements.Statements.GetAsync(conn, http.User.RequiredRightsHolderId(), id, ct) is not { } statement)
        {
            return TypedResults.NotFound();
        }

        http.Response.ContentType = "text/csv; charset=utf-8; header=present";
        http.Response.Headers.ContentDisposition =
            $"attachment; filename=\"statement-{statement.PeriodStart.UtcDateTime:yyyy-MM-dd}-{statement.Currency}-{statement.Id:N}.csv\"";
        await using var writer = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        await Compliance.Settlements.Statements.WriteCsvAsync(conn, statement, writer, ct);
        await writer.FlushAsync(ct);
        return TypedResults.Empty;
    }

    private static async Task<IResult> Thumbnail(Guid id, HttpContext http, NpgsqlDataSource db, LocalBlobStore blobs, CancellationToken ct)
    {
        var user = http.User;
        var auditor = user.IsInRole(Roles.Auditor);
        await using var conn = await db.OpenConnectionAsync(ct);
        // Both tables are keyed by a public uuid; the caller's scope is part of the query, never checked afterwards.
        var blob = await conn.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            """
            select blob_sha256 from reference_images
            where public_id = @id and blob_sha256 is not null and (@auditor or rights_holder_id = @holder)
            union all
            select blob_sha256 from likeness_enrolments
            where public_id = @id and (@auditor or profile_id = @profile)
            limit 1
            """,
            new { id, auditor, holder = user.RightsHolderId(), profile = user.IsInRole(Roles.LikenessOwner) ? user.RequiredLikenessProfileId() : (Guid?)null },
            cancellationToken: ct));
        if (blob is null || blobs.FileOf(blob) is not { } path)
        {
            return TypedResults.NotFound();
        }

        using var source = SKBitmap.Decode(path);
        if (source is null)
        {
            return TypedResults.NotFound();
        }

        var scale = Math.Min(1f, (float)ThumbnailSide / Math.Max(source.Width, source.Height));
        var info = new SKImageInfo(Math.Max(1, (int)(source.Width * scale)), Math.Max(1, (int)(source.Height * scale)));
        using var resized = source.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        using var image = SKImage.FromBitmap(resized);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        http.Response.Headers.CacheControl = "private, max-age=300";
        return TypedResults.File(data.ToArray(), "image/png");
    }
}
