using System.Text.Json;
using Compliance.Classifiers.Text;
using Compliance.Generation.Generators;
using Compliance.Generation.Pipeline;
using Compliance.Generation.Release;
using Compliance.Storage.Blobs;
using Dapper;
using Npgsql;
using Compliance.Generation.Gates;

namespace Compliance.Api.Generations;

/// <summary>
/// Writes a released generation's signed provenance manifest inside the release transaction: the output's hash,
/// size and duration, generator and model, the prompt's hash, the decisions that allowed it with their policy
/// version, the decision log's head at release, and the consents of the people shown.
/// </summary>
internal sealed class ProvenanceIssuer(ProvenanceSigner signer, LocalBlobStore blobs)
{
    /// <param name="reviewedBy">The review resolutions (log entry ids) that released a held job; listed after its decisions.</param>
    public async Task IssueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, GenerationJob job, IReadOnlyList<DecisionView> decided, CancellationToken ct,
        IReadOnlyList<Guid>? reviewedBy = null)
    {
        var output = await conn.QuerySingleAsync<(string? Blob, string? MediaType, double? Seconds)>(new CommandDefinition(
            "select output_blob, output_media_type, output_duration_seconds from generation_jobs where id = @id", new { id = job.Id }, tx, cancellationToken: ct));
        var path = output.Blob is { } blob ? blobs.FileOf(blob) : null;
        if (path is null)
        {
            throw new InvalidOperationException($"Generation {job.Id} has no stored output to release.");
        }

        // The head the manifest names is the newest entry committed when the release commits (our decisions included).
        var head = await conn.QuerySingleAsync<(long Seq, byte[] Sha)>(new CommandDefinition(
            "select seq, entry_sha256 from decisions order by seq desc limit 1", transaction: tx, cancellationToken: ct));
        var consents = decided.SelectMany(d => d.Reasons)
            .Select(r => r.Fact)
            .Where(f => f?.Entity.Type is EntityTypes.Likeness or EntityTypes.PublicFigure && f.GrantId is not null)
            .Select(f => f!.GrantId!.Value)
            .Distinct()
            .ToList();
        var video = new GeneratedVideo(path, output.MediaType ?? "video/mp4", TimeSpan.FromSeconds(output.Seconds ?? job.DurationSeconds),
            job.Width, job.Height, job.Generator, job.Model ?? job.Generator, job.ProviderJobId);
        var facts = new ReleaseFacts(job.Id, job.Prompt, decided.Last().PolicyVersion, [.. decided.Select(d => d.DecisionId), .. reviewedBy ?? []],
            head.Seq, Convert.ToHexStringLower(head.Sha), consents);
        var manifest = await ProvenanceManifest.ForReleaseAsync(video, facts, ct);
        var signed = signer.Sign(manifest);
        await conn.ExecuteAsync(new CommandDefinition(
            "insert into generation_provenance (generation_id, key_id, manifest, cose) values (@id, @keyId, @manifest::jsonb, @cose)",
            new { id = job.Id, keyId = signed.Manifest.KeyId, manifest = JsonSerializer.Serialize(signed.Manifest, JsonNames.Options), cose = signed.CoseSign1 },
            tx,
            cancellationToken: ct));
    }

    /// <summary>Signs bytes with the service's active key (callbacks); the platform verifies with the published key.</summary>
    public (string KeyId, byte[] Signature) SignDetached(byte[] data) => signer.SignDetached(data);
}
