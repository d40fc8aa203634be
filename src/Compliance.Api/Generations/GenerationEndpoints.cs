using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Generation.Pipeline;
using Compliance.Imaging.Decoding;
using Compliance.Storage.Blobs;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;
using Compliance.Generation.Gates;

namespace Compliance.Api.Generations;

/// <summary>
/// Platforms ask for a video and get back only what passed both gates. A job is a row plus a durable scheduler job;
/// the answer is 202 with the job, which the platform polls (or is called back about). Jobs are the platform's own:
/// another tenant's job is "not found".
/// </summary>
internal static class GenerationEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapGenerations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/generations").WithTags("Generations").RequireAuthorization(Roles.Platform);
        // The body carries the reference image as base64: room for the largest image upload, plus the rest of the request.
        group.MapPost("/", Create).Validate<CreateGenerationRequest>()
            .WithMetadata(new RequestSizeLimitAttribute(((MediaTypes.MaxImageBytes + 2) / 3 * 4) + (64 * 1024))).WithName("CreateGeneration")
            .WithSummary("Ask for a video: the prompt is screened, the video generated, its frames screened; only allowed output is released. Idempotent with an Idempotency-Key header.");
        group.MapGet("/", List).WithName("ListGenerations").WithSummary("Your generation jobs, newest first (keyset paging).");
        group.MapGet("/{id:guid}", Get).WithName("GetGeneration").WithSummary("A job: state, progress, each gate's decision id, timings.");
        group.MapGet("/{id:guid}/content", Content).WithName("GetGenerationContent").WithSummary("The video, once released (404 until then).");
        group.MapDelete("/{id:guid}", Cancel).WithName("CancelGeneration").WithSummary("Cancel a job that has not finished; it is never released afterwards.");
        return group;
    }

    private static async Task<Results<Accepted<GenerationView>, Ok<GenerationView>, ProblemHttpResult>> Create(
        CreateGenerationRequest request, HttpContext http, NpgsqlDataSource db, LocalBlobStore blobs, SafeImageDecoder decoder, GenerationScheduler scheduler,
        IOptions<GenerationPipelineOptions> options, CancellationToken ct)
    {
        var tenant = http.User.RequiredTenantId();
        var key = http.Request.Headers[IdempotencyHeader].ToString();
        if (key.Length > 200 || key.Any(c => c < 0x21 || c > 0x7E))
        {
            return Problems.BadRequest("Invalid Idempotency-Key.", "Use at most 200 printable ASCII characters without spaces.");
        }

        var normalized = request with
        {
            DurationSeconds = request.DurationSeconds ?? CreateGenerationRequest.DefaultDurationSeconds,
            Size = request.Size ?? CreateGenerationRequest.DefaultSize,
            Cameos = request.Cameos ?? [],
        };
        var requestSha = SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(normalized, JsonNames.Options));

        await using var conn = await db.OpenConnectionAsync(ct);
        if (key.Length > 0 && await FindByKeyAsync(conn, tenant, key, ct) is { } earlier)
        {
            return SameRequest(earlier, requestSha);
        }

        if (normalized.Cameos!.Count > 0)
        {
            var known = (await conn.QueryAsync<Guid>(new CommandDefinition(
                "select id from likeness_profiles where id = any(@ids)", new { ids = normalized.Cameos.ToArray() }, cancellationToken: ct))).ToHashSet();
            if (normalized.Cameos.FirstOrDefault(c => !known.Contains(c)) is var unknown && unknown != Guid.Empty)
            {
                return TypedResults.Problem(title: "Unknown cameo.", detail: $"No likeness profile {unknown}.", statusCode: StatusCodes.Status422UnprocessableEntity);
            }
        }

        string? referenceBlob = null;
        if (normalized.ReferenceImage is { } base64)
        {
            var bytes = Convert.FromBase64String(base64);
            if (MediaTypes.SniffImage(bytes) is null)
            {
                return TypedResults.Problem(title: "Unsupported reference image.", detail: "referenceImage must be a PNG, JPEG or WebP image.",
                    statusCode: StatusCodes.Status415UnsupportedMediaType);
            }

            // Decoded once here, with the upload limits, so a corrupt or oversized image is the platform's 4xx now
            // (ImageRejectedException → 400/413 problem) rather than a job that fails later in the generator.
            decoder.Decode(bytes);
            referenceBlob = await blobs.PutAsync(bytes, ct);
        }

        var (width, height) = normalized.ParsedSize();
        var id = Guid.CreateVersion7();
        var inserted = await conn.ExecuteAsync(new CommandDefinition(
            """
            insert into generation_jobs (id, tenant_id, account, prompt, prompt_sha256, cameos, reference_blob, duration_seconds, width, height,
                                         seed, callback_url, idempotency_key, request_sha256, state, generator, soundtrack)
            values (@id, @tenant, @Account, @Prompt, @promptSha, @cameos, @referenceBlob, @DurationSeconds, @width, @height,
                    @seed, @CallbackUrl, @key, @requestSha, 'queued', @generator, @Soundtrack)
            on conflict (tenant_id, idempotency_key) where idempotency_key is not null do nothing
            """,
            new
            {
                id, tenant, normalized.Account, normalized.Prompt, promptSha = SHA256.HashData(Encoding.UTF8.GetBytes(normalized.Prompt!)),
                cameos = normalized.Cameos.ToArray(), referenceBlob, normalized.DurationSeconds, width, height,
                seed = normalized.Seed ?? BitConverter.ToInt64(id.ToByteArray(), 8), normalized.CallbackUrl, key = key.Length > 0 ? key : null,
                requestSha, generator = options.Value.DefaultGenerator, normalized.Soundtrack,
            },
            cancellationToken: ct));
        if (inserted == 0 && await FindByKeyAsync(conn, tenant, key, ct) is { } raced)
        {
            return SameRequest(raced, requestSha); // a concurrent retry with the same key won the insert
        }

        await scheduler.ScheduleAsync(id, TimeSpan.Zero, ct);
        var view = await GenerationQueries.GetAsync(conn, tenant, id, ct);
        return TypedResults.Accepted($"/v1/generations/{id}", view!);
    }

    private static Results<Accepted<GenerationView>, Ok<GenerationView>, ProblemHttpResult> SameRequest((GenerationView View, byte[] RequestSha) earlier, byte[] requestSha) =>
        CryptographicOperations.FixedTimeEquals(earlier.RequestSha, requestSha)
            ? TypedResults.Ok(earlier.View)
            : Problems.Conflict("Idempotency-Key reused with a different request.",
                $"The key was first used for job {earlier.View.Id} with another body; use a new key for a new request.");

    private static async Task<(GenerationView View, byte[] RequestSha)?> FindByKeyAsync(NpgsqlConnection conn, Guid tenant, string key, CancellationToken ct)
    {
        var found = await conn.QuerySingleOrDefaultAsync<(Guid Id, byte[] Sha)?>(new CommandDefinition(
            "select id, request_sha256 from generation_jobs where tenant_id = @tenant and idempotency_key = @key", new { tenant, key }, cancellationToken: ct));
        if (found is not { } f)
        {
            return null;
        }

        var view = await GenerationQueries.GetAsync(conn, tenant, f.Id, ct);
        return view is null ? null : (view, f.Sha);
    }

    private static async Task<Results<Ok<GenerationPage>, ProblemHttpResult>> List(
        HttpContext http, NpgsqlDataSource db, string? state, int? limit, string? cursor, CancellationToken ct)
    {
        if (limit is < 1 or > GenerationQueries.MaxLimit)
        {
            return Problems.BadRequest("Invalid limit.", $"limit must be between 1 and {GenerationQueries.MaxLimit}.");
        }

        if (state is not null && !GenerationStates.TryParse(state, out _))
        {
            return Problems.BadRequest("Unknown state.", $"state must be one of {string.Join(", ", GenerationStates.AllNames)}.");
        }

        if (!GenerationQueries.TryParseCursor(cursor, out var after))
        {
            return Problems.BadRequest("Invalid cursor.", "Pass the nextCursor of a previous page.");
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        return TypedResults.Ok(await GenerationQueries.PageAsync(conn, http.User.RequiredTenantId(), state, limit ?? GenerationQueries.DefaultLimit, after, ct));
    }

    private static async Task<Results<Ok<GenerationView>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await GenerationQueries.GetAsync(conn, http.User.RequiredTenantId(), id, ct) is { } view
            ? TypedResults.Ok(view)
            : NotFoundProblem(id);
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Content(
        Guid id, HttpContext http, NpgsqlDataSource db, LocalBlobStore blobs, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<(string? Blob, string? MediaType)?>(new CommandDefinition(
            "select output_blob, output_media_type from generation_jobs where id = @id and tenant_id = @tenant and state = 'released'",
            new { id, tenant = http.User.RequiredTenantId() }, cancellationToken: ct));
        if (row is not { Blob: { } blob } || blobs.FileOf(blob) is not { } path)
        {
            return Problems.NotFound("No released video.", $"Generation {id} does not exist, is not yours, or has not been released.");
        }

        return TypedResults.File(File.OpenRead(path), row.Value.MediaType ?? "video/mp4", $"generation-{id}.mp4", enableRangeProcessing: true);
    }

    private static async Task<Results<Ok<GenerationView>, ProblemHttpResult>> Cancel(
        Guid id, HttpContext http, NpgsqlDataSource db, GenerationScheduler scheduler, CallbackOutbox callbacks, CancellationToken ct)
    {
        var tenant = http.User.RequiredTenantId();
        await using var conn = await db.OpenConnectionAsync(ct);
        // Cancelled at once, whatever stage is running: the runner's next transition (and the release) is a
        // compare-and-set on the state, so a cancelled job is never moved on or released.
        var cancelled = await conn.ExecuteAsync(new CommandDefinition(
            """
            update generation_jobs set state = 'cancelled', cancel_requested = true, failure_reason = 'Cancelled by the platform.',
                   finished_at = now(), updated_at = now()
            where id = @id and tenant_id = @tenant and state = any(@active)
            """,
            new { id, tenant, active = new[] { "queued", "screening_prompt", "generating", "screening_frames" } }, cancellationToken: ct)) == 1;
        var view = await GenerationQueries.GetAsync(conn, tenant, id, ct);
        if (view is null)
        {
            return NotFoundProblem(id);
        }

        if (!cancelled)
        {
            return Problems.Conflict("The job has already finished.", $"Generation {id} is {view.State}; only a job that has not finished can be cancelled.");
        }

        await scheduler.OnCancelledAsync(id, ct);
        // A job cancelled before it ran is never seen finished by a runner, so its callback is queued here (the outbox
        // keeps one per job and state, so a runner that also sees it finished adds nothing).
        await callbacks.EnqueueAsync(id, ct);
        return TypedResults.Ok(view);
    }

    // A problem result (application/problem+json), as every other 4xx of the API; NotFound<ProblemDetails> would be plain JSON.
    private static ProblemHttpResult NotFoundProblem(Guid id) => Problems.NotFound("Generation not found.", $"No generation {id} for your platform.");
}
