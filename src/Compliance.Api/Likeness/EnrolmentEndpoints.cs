using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Api.Screening;
using Compliance.Faces;
using Compliance.Imaging.Decoding;
using Compliance.Storage.Blobs;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Compliance.Generation.Gates;

namespace Compliance.Api.Likeness;

internal sealed record EnrolmentView
{
    public Guid Id { get; init; }
    public float[] FaceBox { get; init; } = [];
    public float DetectionScore { get; init; }
    public float Sharpness { get; init; }
    public float SpoofScore { get; init; }
    public string ModelVersion { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// A person enrols images of their face. Each is checked (exactly one face, large and sharp enough,
/// not a suspected spoof) and rejected with the reason when it fails; an accepted face becomes one
/// embedding that face matching uses from the next request on.
/// </summary>
internal static class EnrolmentEndpoints
{
    private const string Columns = $"""
        public_id as {nameof(EnrolmentView.Id)}, face_box as {nameof(EnrolmentView.FaceBox)}, detection_score as {nameof(EnrolmentView.DetectionScore)},
        sharpness as {nameof(EnrolmentView.Sharpness)}, spoof_score as {nameof(EnrolmentView.SpoofScore)}, model_version as {nameof(EnrolmentView.ModelVersion)},
        created_at as {nameof(EnrolmentView.CreatedAt)}
        """;

    public static RouteGroupBuilder MapEnrolments(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/likeness/enrolments").WithTags("Likeness").RequireAuthorization(Roles.LikenessOwner);
        group.MapPost("/", Enrol).DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(MediaTypes.MaxImageBytes + (64 * 1024)))
            .Accepts<IFormFile>("multipart/form-data").WithName("EnrolFace")
            .WithSummary("Enrol an image of your face (multipart field 'file'): exactly one face, at least 80 px, sharp, not a suspected spoof.");
        group.MapGet("/", List).WithName("ListEnrolments").WithSummary("Your enrolled faces.");
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteEnrolment").WithSummary("Stop matching one enrolled face, at once.");
        return group;
    }

    private static async Task<Results<Created<EnrolmentView>, ProblemHttpResult>> Enrol(
        HttpContext http, NpgsqlDataSource db, LocalBlobStore blobs, SafeImageDecoder decoder, FacePipeline faces, FaceBankIndex bank, DecodeGate decoding,
        CancellationToken ct)
    {
        using var upload = await Uploads.ReadForDecodingAsync(http, decoding, MediaTypes.MaxImageBytes, ct);
        if (upload.Problem is not null)
        {
            return upload.Problem;
        }

        var bytes = upload.Bytes!;
        MediaTypes.RequireImage(bytes);
        var outcome = Enrolment.Check(faces.Analyze(decoder.Decode(bytes)));
        if (outcome is EnrolmentRejected rejected)
        {
            return TypedResults.Problem(
                title: "The enrolment image was rejected: " + rejected.Reason,
                detail: rejected.Message,
                statusCode: StatusCodes.Status422UnprocessableEntity,
                extensions: new Dictionary<string, object?> { ["reason"] = rejected.Reason.ToString() });
        }

        var face = ((EnrolmentAccepted)outcome).Face;
        var sha = await blobs.PutAsync(bytes, ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        var created = await conn.QuerySingleAsync<EnrolmentView>(new CommandDefinition(
            $"""
            insert into likeness_enrolments (public_id, profile_id, blob_sha256, face_box, detection_score, sharpness, spoof_score, embedding, model_version)
            values (@id, @profile, @sha, @box, @detection, @sharpness, @spoof, @embedding, @model)
            returning {Columns}
            """,
            new
            {
                id = Guid.NewGuid(), profile = http.User.RequiredLikenessProfileId(), sha,
                box = new[] { face.Box.X, face.Box.Y, face.Box.Width, face.Box.Height },
                detection = face.DetectionScore, sharpness = face.Quality.Sharpness, spoof = face.SpoofScore,
                embedding = face.EmbeddingCopy(), model = faces.Version,
            },
            cancellationToken: ct));
        await bank.RefreshAsync(ct);
        return TypedResults.Created($"/v1/likeness/enrolments/{created.Id}", created);
    }

    private static async Task<Ok<IEnumerable<EnrolmentView>>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await conn.QueryAsync<EnrolmentView>(new CommandDefinition(
            $"select {Columns} from likeness_enrolments where profile_id = @profile and deleted_at is null order by id",
            new { profile = http.User.RequiredLikenessProfileId() },
            cancellationToken: ct)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, HttpContext http, NpgsqlDataSource db, FaceBankIndex bank, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var deleted = await conn.ExecuteAsync(new CommandDefinition(
            "update likeness_enrolments set deleted_at = now() where public_id = @id and profile_id = @profile and deleted_at is null",
            new { id, profile = http.User.RequiredLikenessProfileId() },
            cancellationToken: ct));
        if (deleted == 0)
        {
            return Problems.NotFound("Enrolment not found.");
        }

        await bank.RefreshAsync(ct);
        return TypedResults.NoContent();
    }
}
