using Compliance.Api.Access;
using Compliance.Api.Infrastructure;
using Compliance.Generation.Release;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Compliance.Generation.Gates;

namespace Compliance.Api.Generations;

/// <summary>A released generation's provenance: the manifest as JSON, and the signed COSE_Sign1 bytes (base64) to keep and verify.</summary>
internal sealed record ProvenanceView(Guid GenerationId, string KeyId, ProvenanceManifest Manifest, string CoseSign1, string ContentType);

/// <summary>The answer of a verification: valid or not, why, and the manifest that was checked.</summary>
internal sealed record ProvenanceCheck(bool Valid, string Verdict, string Reason, string? KeyId, ProvenanceManifest? Manifest);

/// <summary>A verification by hash: the video's SHA-256 and either the COSE_Sign1 bytes (base64) or the generation's id.</summary>
internal sealed record VerifyProvenanceRequest(string? Sha256, string? CoseSign1, Guid? GenerationId);

/// <summary>A public key that signs provenance manifests (and callbacks): DER SubjectPublicKeyInfo, base64.</summary>
internal sealed record PublicKeyView(string KeyId, string Algorithm, string SubjectPublicKeyInfo, bool Active);

internal static class ProvenanceEndpoints
{
    public static IEndpointRouteBuilder MapProvenance(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/generations/{id:guid}/provenance", Get).RequireAuthorization(Roles.Platform).WithTags("Generations")
            .WithName("GetGenerationProvenance").WithSummary("The signed provenance manifest (COSE_Sign1, ES256) of a released generation.");
        var group = app.MapGroup("/v1/provenance").WithTags("Provenance");
        group.MapPost("/verify", Verify).RequireAuthorization(Roles.DecisionReaders).DisableAntiforgery()
            .WithName("VerifyProvenance")
            .WithSummary("Check a video (multipart 'file' plus 'coseSign1' or 'generationId') or a SHA-256 (JSON) against a provenance manifest.");
        group.MapGet("/keys", Keys).AllowAnonymous().WithName("ListProvenanceKeys")
            .WithSummary("The public keys that sign provenance manifests and callbacks (ES256, P-256), by key id.");
        return app;
    }

    private static async Task<Results<Ok<ProvenanceView>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<(string KeyId, byte[] Cose)?>(new CommandDefinition(
            """
            select p.key_id, p.cose from generation_provenance p join generation_jobs g on g.id = p.generation_id
            where p.generation_id = @id and g.tenant_id = @tenant
            """, new { id, tenant = http.User.RequiredTenantId() }, cancellationToken: ct));
        if (row is not { } r)
        {
            return Problems.NotFound("No provenance.", $"Generation {id} does not exist, is not yours, or has not been released.");
        }

        return TypedResults.Ok(new ProvenanceView(id, r.KeyId, ProvenanceManifest.FromCbor(System.Security.Cryptography.Cose.CoseSign1Message.DecodeSign1(r.Cose).Content!.Value), Convert.ToBase64String(r.Cose), ProvenanceManifest.ContentType));
    }

    private static async Task<Results<Ok<ProvenanceCheck>, ProblemHttpResult>> Verify(HttpContext http, NpgsqlDataSource db, ProvenanceVerifier verifier, CancellationToken ct)
    {
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync(ct);
            var file = form.Files.GetFile("file");
            if (file is null || file.Length == 0)
            {
                return Problems.BadRequest("The multipart field 'file' is missing or empty.");
            }

            var cose = await ResolveCoseAsync(http, db, form["coseSign1"].ToString(), form["generationId"].ToString(), ct);
            if (cose.Problem is not null)
            {
                return cose.Problem;
            }

            await using var stream = file.OpenReadStream();
            return TypedResults.Ok(Check(await verifier.VerifyVideoAsync(cose.Bytes, stream, ct)));
        }

        if (!http.Request.HasJsonContentType())
        {
            return TypedResults.Problem(title: "Unsupported media type.", detail: "Send multipart/form-data with a video, or JSON with sha256.",
                statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        var request = await http.Request.ReadFromJsonAsync<VerifyProvenanceRequest>(JsonNames.Options, ct);
        if (request?.Sha256 is not { } sha || !ProvenanceVerifier.IsSha256Hex(sha))
        {
            return Problems.BadRequest("sha256 must be 64 hexadecimal characters.");
        }

        var resolved = await ResolveCoseAsync(http, db, request.CoseSign1, request.GenerationId?.ToString(), ct);
        if (resolved.Problem is not null)
        {
            return resolved.Problem;
        }

        return TypedResults.Ok(Check(verifier.VerifyHash(resolved.Bytes.Span, sha)));
    }

    private static async Task<(ReadOnlyMemory<byte> Bytes, ProblemHttpResult? Problem)> ResolveCoseAsync(
        HttpContext http, NpgsqlDataSource db, string? coseBase64, string? generationId, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(coseBase64))
        {
            var buffer = new byte[coseBase64.Length];
            return Convert.TryFromBase64String(coseBase64, buffer, out var written) && written > 0
                ? (buffer.AsMemory(0, written), null)
                : (default, Problems.BadRequest("coseSign1 must be base64."));
        }

        if (!Guid.TryParse(generationId, out var id))
        {
            return (default, Problems.BadRequest("Give the manifest (coseSign1, base64) or the generationId it belongs to."));
        }

        // A platform looks up only its own generations; an auditor any.
        var tenant = http.User.IsInRole(Roles.Auditor) ? (Guid?)null : http.User.RequiredTenantId();
        await using var conn = await db.OpenConnectionAsync(ct);
        var cose = await conn.ExecuteScalarAsync<byte[]?>(new CommandDefinition(
            """
            select p.cose from generation_provenance p join generation_jobs g on g.id = p.generation_id
            where p.generation_id = @id and (@tenant::uuid is null or g.tenant_id = @tenant)
            """, new { id, tenant }, cancellationToken: ct));
        return cose is null
            ? (default, TypedResults.Problem(title: "No provenance.", detail: $"No released generation {id} that you can see.", statusCode: StatusCodes.Status404NotFound))
            : (cose, null);
    }

    private static Ok<IReadOnlyList<PublicKeyView>> Keys(ProvenanceKeyRing keys)
    {
        var active = keys.ActiveKey.KeyId;
        return TypedResults.Ok<IReadOnlyList<PublicKeyView>>(keys.Keys
            .Select(k => new PublicKeyView(k.KeyId, "ES256", Convert.ToBase64String(k.SubjectPublicKeyInfo), k.KeyId == active)).ToList());
    }

    private static ProvenanceCheck Check(ProvenanceVerification v) =>
        new(v.IsValid, System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(v.Verdict.ToString()), v.Reason, v.KeyId, v.Manifest);
}
