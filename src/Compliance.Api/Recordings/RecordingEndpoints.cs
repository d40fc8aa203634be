using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Api.Screening;
using Compliance.Audio;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Compliance.Api.Recordings;

/// <summary>
/// Rights holders register recordings in their catalog (works of kind <c>recording</c>, beside their characters, granted
/// through <c>/v1/grants</c> on the same terms) and upload reference audio for each. The audio is fingerprinted at upload
/// (fpcalc, container sniffed from the bytes, bounded in size, length, channels, time and memory) and only the
/// fingerprint and its SHA-256 are kept. Every query is scoped by the caller's rights holder: another holder's
/// recording is indistinguishable from a missing one.
/// </summary>
internal static class RecordingEndpoints
{
    private const string Columns = $"""
        id as {nameof(Recording.Id)}, rights_holder_id as {nameof(Recording.RightsHolderId)}, canonical_name as {nameof(Recording.Title)},
        artist as {nameof(Recording.Artist)}, isrc as {nameof(Recording.Isrc)}, created_at as {nameof(Recording.CreatedAt)}
        """;

    private const string ReferenceColumns = $"""
        public_id as {nameof(RecordingReferenceView.Id)}, recording_id as {nameof(RecordingReferenceView.RecordingId)},
        fingerprint_sha256 as {nameof(RecordingReferenceView.FingerprintSha256)}, duration_seconds as {nameof(RecordingReferenceView.DurationSeconds)},
        length(fingerprint) / 4 as {nameof(RecordingReferenceView.SubFingerprints)}, file_name as {nameof(RecordingReferenceView.FileName)},
        created_at as {nameof(RecordingReferenceView.CreatedAt)}
        """;

    public static RouteGroupBuilder MapRecordings(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/recordings").WithTags("Recordings").RequireAuthorization(Roles.RightsHolder);
        group.MapPost("/", Create).Validate<RecordingRequest>().WithName("CreateRecording")
            .WithSummary("Register a recording (title, optional artist and ISRC) in your catalog; grant it through /v1/grants with recordingId.");
        group.MapGet("/", List).WithName("ListRecordings").WithSummary("List your recordings.");
        group.MapGet("/{id:guid}", Get).WithName("GetRecording").WithSummary("Get one of your recordings.");
        group.MapPut("/{id:guid}", Update).Validate<RecordingRequest>().WithName("UpdateRecording")
            .WithSummary("Correct a recording's title, artist or ISRC; matches and decisions name it by its new title from the next refresh of every node.");

        // The audio upload limit is the fingerprinter's own (Audio:MaxFileBytes): one limit, read where it is enforced.
        var audio = app.ServiceProvider.GetRequiredService<IOptions<AudioFingerprintOptions>>().Value;
        group.MapPost("/{id:guid}/references", Upload).DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(audio.MaxFileBytes + (64 * 1024)))
            .Accepts<IFormFile>("multipart/form-data").WithName("UploadRecordingReference")
            .WithSummary($"Upload reference audio for one of your recordings (multipart field 'file': WAV, FLAC, Ogg, MP3, M4A/MP4 or Matroska/WebM, "
                + $"at most {audio.MaxFileBytes / (1024 * 1024)} MiB, {audio.MaxDuration.TotalMinutes:0.#} minutes and {audio.MaxChannels} channels). "
                + "Only its fingerprint is kept.");
        group.MapGet("/{id:guid}/references", ListReferences).WithName("ListRecordingReferences").WithSummary("List a recording's reference fingerprints.");
        group.MapDelete("/{id:guid}/references/{referenceId:guid}", DeleteReference).WithName("DeleteRecordingReference")
            .WithSummary("Remove a reference fingerprint from matching, at once.");
        return group;
    }

    private static async Task<Results<Created<Recording>, ProblemHttpResult>> Create(RecordingRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        var (title, artist, isrc) = (request.Title!.Trim(), request.Artist?.Trim(), request.NormalizedIsrc);
        await using var conn = await db.OpenConnectionAsync(ct);
        try
        {
            // Recordings claim no names (ADR-015): they are found by their sound, never in a prompt's text.
            var created = await conn.QuerySingleAsync<Recording>(new CommandDefinition(
                $"""
                insert into characters (id, rights_holder_id, kind, canonical_name, artist, isrc)
                values (@id, @holder, 'recording', @title, @artist, @isrc)
                returning {Columns}
                """,
                new { id = Guid.NewGuid(), holder, title, artist, isrc },
                cancellationToken: ct));
            return TypedResults.Created($"/v1/recordings/{created.Id}", created);
        }
        catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "characters_isrc_key" })
        {
            return Problems.Conflict("ISRC already registered.", $"The ISRC {isrc} is already registered to a recording; an ISRC names one recording.");
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Conflict("Duplicate recording.", $"You already have a recording '{title}'{(artist is null ? "" : $" by {artist}")}.");
        }
    }

    private static async Task<Results<Ok<Recording>, ProblemHttpResult>> Update(
        Guid id, RecordingRequest request, HttpContext http, NpgsqlDataSource db, RecordingBankIndex bank, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        var (title, artist, isrc) = (request.Title!.Trim(), request.Artist?.Trim(), request.NormalizedIsrc);
        Recording? updated;
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            try
            {
                // Grants, usage and decisions refer to the recording's id, never its title: a correction changes no right.
                updated = await conn.QuerySingleOrDefaultAsync<Recording>(new CommandDefinition(
                    $"""
                    update characters set canonical_name = @title, artist = @artist, isrc = @isrc, updated_at = now()
                    where id = @id and rights_holder_id = @holder and kind = 'recording'
                    returning {Columns}
                    """,
                    new { id, holder, title, artist, isrc },
                    cancellationToken: ct));
            }
            catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "characters_isrc_key" })
            {
                return Problems.Conflict("ISRC already registered.", $"The ISRC {isrc} is already registered to a recording; an ISRC names one recording.");
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return Problems.Conflict("Duplicate recording.", $"You already have a recording '{title}'{(artist is null ? "" : $" by {artist}")}.");
            }
        }

        if (updated is null)
        {
            return Problems.NotFound("Recording not found.");
        }

        await bank.RefreshAsync(ct);
        return TypedResults.Ok(updated);
    }

    private static async Task<Ok<IEnumerable<Recording>>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await conn.QueryAsync<Recording>(new CommandDefinition(
            $"select {Columns} from characters where rights_holder_id = @holder and kind = 'recording' order by canonical_name, artist",
            new { holder = http.User.RequiredRightsHolderId() },
            cancellationToken: ct)));
    }

    private static async Task<Results<Ok<Recording>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var found = await conn.QuerySingleOrDefaultAsync<Recording>(new CommandDefinition(
            $"select {Columns} from characters where id = @id and rights_holder_id = @holder and kind = 'recording'",
            new { id, holder = http.User.RequiredRightsHolderId() },
            cancellationToken: ct));
        return found is null ? Problems.NotFound("Recording not found.") : TypedResults.Ok(found);
    }

    private static async Task<Results<Created<RecordingReferenceView>, ProblemHttpResult>> Upload(
        Guid id, HttpContext http, NpgsqlDataSource db, AudioFingerprinter fingerprinter, RecordingBankIndex bank,
        IOptions<AudioFingerprintOptions> options, MediaProcessGate processing, CancellationToken ct)
    {
        var holder = http.User.RequiredRightsHolderId();
        if (!await OwnsAsync(db, id, holder, ct))
        {
            return Problems.NotFound("Recording not found.");
        }

        var form = await Uploads.ReadFormAsync(http, options.Value.MaxFileBytes, ct);
        if (form.Problem is not null)
        {
            return form.Problem;
        }

        // Spooled to a private file, sniffed, probed and fingerprinted; AudioRejectedException is the caller's 4xx.
        AudioFingerprint fingerprint;
        using (await processing.EnterAsync(ct))
        await using (var upload = form.File!.OpenReadStream())
        {
            fingerprint = await fingerprinter.FingerprintAsync(upload, ct);
        }

        // A reference shorter than the shortest span the matcher reports could never be matched: refuse it now.
        var shortest = new MatchSettings().MinSpanSeconds;
        if (fingerprint.DurationSeconds < shortest)
        {
            return TypedResults.Problem(title: "The reference audio is too short.",
                detail: $"It fingerprints to {fingerprint.DurationSeconds:0.#} s; a reference needs at least {shortest:0.#} s to be matched.",
                statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        RecordingReferenceView created;
        try
        {
            created = await conn.QuerySingleAsync<RecordingReferenceView>(new CommandDefinition(
                $"""
                insert into recording_fingerprints (public_id, recording_id, rights_holder_id, fingerprint, fingerprint_sha256, duration_seconds, file_name)
                values (@publicId, @id, @holder, @bytes, @sha, @seconds, @fileName)
                returning {ReferenceColumns}
                """,
                new
                {
                    publicId = Guid.NewGuid(), id, holder, bytes = RecordingBankIndex.Bytes(fingerprint.Values), sha = fingerprint.Sha256,
                    seconds = Math.Round(fingerprint.DurationSeconds, 3), fileName = Truncate(form.File.FileName, 255),
                },
                cancellationToken: ct));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Conflict("Reference already uploaded.", $"This recording already has a reference with fingerprint {fingerprint.Sha256}.");
        }

        await bank.RefreshAsync(ct);
        return TypedResults.Created($"/v1/recordings/{id}/references/{created.Id}", created);
    }

    private static async Task<Results<Ok<IEnumerable<RecordingReferenceView>>, ProblemHttpResult>> ListReferences(
        Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!await OwnsAsync(db, id, http.User.RequiredRightsHolderId(), ct))
        {
            return Problems.NotFound("Recording not found.");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await conn.QueryAsync<RecordingReferenceView>(new CommandDefinition(
            $"select {ReferenceColumns} from recording_fingerprints where recording_id = @id and deleted_at is null order by id",
            new { id },
            cancellationToken: ct)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteReference(
        Guid id, Guid referenceId, HttpContext http, NpgsqlDataSource db, RecordingBankIndex bank, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var deleted = await conn.ExecuteAsync(new CommandDefinition(
            """
            update recording_fingerprints set deleted_at = now()
            where public_id = @referenceId and recording_id = @id and rights_holder_id = @holder and deleted_at is null
            """,
            new { referenceId, id, holder = http.User.RequiredRightsHolderId() },
            cancellationToken: ct));
        if (deleted == 0)
        {
            return Problems.NotFound("Reference not found.");
        }

        await bank.RefreshAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<bool> OwnsAsync(NpgsqlDataSource db, Guid id, Guid holder, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select from characters where id = @id and rights_holder_id = @holder and kind = 'recording')", new { id, holder }, cancellationToken: ct));
    }

    private static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
