using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using Compliance.Generation.Generators;

namespace Compliance.Generation.Release;

/// <summary>
/// What the service states about a released video, signed by <see cref="ProvenanceSigner"/> as the payload of a
/// COSE_Sign1 message. It identifies the exact bytes released (<see cref="OutputSha256"/>), says how they were made
/// (generator, model, provider job, the IPTC digital source type for AI-generated media) and which decisions let them
/// out (decision ids, policy version, the decision-log head at release, the consents of people shown). It holds a
/// hash of the prompt, never the prompt. Not a C2PA manifest: docs/provenance.md maps each field to the C2PA assertion
/// it corresponds to.
/// </summary>
/// <param name="ManifestVersion">Version of this layout; <see cref="CurrentVersion"/>.</param>
/// <param name="GenerationId">The generation the video came from.</param>
/// <param name="CreatedAt">When the manifest was signed (UTC).</param>
/// <param name="KeyId">Hex SHA-256 of the signing key's SubjectPublicKeyInfo; also the COSE <c>kid</c>.</param>
/// <param name="OutputSha256">Lower-case hex SHA-256 of the released file's bytes.</param>
/// <param name="MediaType">The file's media type, e.g. <c>video/mp4</c>.</param>
/// <param name="SizeBytes">The file's length in bytes.</param>
/// <param name="Duration">The video's duration (kept to the millisecond).</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Generator">The generator's name, e.g. <c>local-storyboard</c>.</param>
/// <param name="Model">The model that made the video.</param>
/// <param name="ProviderJobId">The hosted provider's job id; <c>null</c> for local generation.</param>
/// <param name="DigitalSourceType">IPTC digital source type URI; <see cref="TrainedAlgorithmicMedia"/>.</param>
/// <param name="PromptSha256">Lower-case hex SHA-256 of the prompt's UTF-8 bytes, exactly as screened.</param>
/// <param name="PolicyVersion">Content hash of the policy set that decided.</param>
/// <param name="DecisionIds">The decisions (prompt gate, frame gate) that allowed the release.</param>
/// <param name="DecisionLogHeadSequence">Sequence number of the decision log's last entry at release.</param>
/// <param name="DecisionLogHeadSha256">Hex entry hash of that entry: the chain the decisions belong to.</param>
/// <param name="ConsentIds">Likeness consents of the people (cameos) shown in the video.</param>
public sealed record ProvenanceManifest(
    int ManifestVersion,
    Guid GenerationId,
    DateTimeOffset CreatedAt,
    string KeyId,
    string OutputSha256,
    string MediaType,
    long SizeBytes,
    TimeSpan Duration,
    int Width,
    int Height,
    string Generator,
    string Model,
    string? ProviderJobId,
    string DigitalSourceType,
    string PromptSha256,
    string PolicyVersion,
    IReadOnlyList<Guid> DecisionIds,
    long DecisionLogHeadSequence,
    string DecisionLogHeadSha256,
    IReadOnlyList<Guid> ConsentIds)
{
    public const int CurrentVersion = 1;

    /// <summary>IPTC NewsCodes digital source type for media created by a model trained on sampled content.</summary>
    public const string TrainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

    /// <summary>COSE content type (header label 3) of the signed payload.</summary>
    public const string ContentType = "application/vnd.compliance.provenance.v1+cbor";

    /// <summary>
    /// Builds the manifest of a generated video about to be released: hashes the file (streamed, any size) and
    /// takes the rest from the generator's report and the pipeline's facts. <see cref="CreatedAt"/> and
    /// <see cref="KeyId"/> are left empty; <see cref="ProvenanceSigner.Sign"/> fills them.
    /// </summary>
    public static async Task<ProvenanceManifest> ForReleaseAsync(GeneratedVideo video, ReleaseFacts facts, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(video);
        ArgumentNullException.ThrowIfNull(facts);
        var file = new FileStream(video.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        MediaDigest digest;
        await using (file.ConfigureAwait(false))
        {
            digest = await MediaDigest.ComputeAsync(file, ct).ConfigureAwait(false);
        }

        return new ProvenanceManifest(
            CurrentVersion, facts.GenerationId, default, string.Empty, digest.Sha256, video.MediaType, digest.Length,
            video.Duration, video.Width, video.Height, video.Generator, video.Model, video.ProviderJobId,
            TrainedAlgorithmicMedia, PromptSha256Of(facts.Prompt), facts.PolicyVersion, facts.DecisionIds,
            facts.DecisionLogHeadSequence, facts.DecisionLogHeadSha256, facts.ConsentIds);
    }

    /// <summary>Lower-case hex SHA-256 of the prompt's UTF-8 bytes (no normalisation: the prompt as screened).</summary>
    public static string PromptSha256Of(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt)));
    }

    /// <summary>
    /// The payload bytes: a CBOR map with text keys in RFC 8949 core deterministic order (shorter keys first, then
    /// bytewise), definite lengths, shortest integer forms, no floating point. One manifest has exactly one encoding.
    /// </summary>
    public byte[] ToCbor()
    {
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartMap(Keys.All.Length);
        Text(w, Keys.ManifestVersion); w.WriteInt32(ManifestVersion);
        Text(w, Keys.GenerationId); w.WriteTextString(GenerationId.ToString("D"));
        Text(w, Keys.CreatedAt); w.WriteDateTimeOffset(CreatedAt.ToUniversalTime());
        Text(w, Keys.KeyId); w.WriteTextString(KeyId);
        Text(w, Keys.OutputSha256); w.WriteTextString(OutputSha256);
        Text(w, Keys.MediaType); w.WriteTextString(MediaType);
        Text(w, Keys.SizeBytes); w.WriteInt64(SizeBytes);
        Text(w, Keys.DurationMs); w.WriteInt64((long)Math.Round(Duration.TotalMilliseconds));
        Text(w, Keys.Width); w.WriteInt32(Width);
        Text(w, Keys.Height); w.WriteInt32(Height);
        Text(w, Keys.Generator); w.WriteTextString(Generator);
        Text(w, Keys.Model); w.WriteTextString(Model);
        Text(w, Keys.ProviderJobId);
        if (ProviderJobId is null)
        {
            w.WriteNull();
        }
        else
        {
            w.WriteTextString(ProviderJobId);
        }

        Text(w, Keys.DigitalSourceType); w.WriteTextString(DigitalSourceType);
        Text(w, Keys.PromptSha256); w.WriteTextString(PromptSha256);
        Text(w, Keys.PolicyVersion); w.WriteTextString(PolicyVersion);
        Text(w, Keys.DecisionIds); Ids(w, DecisionIds);
        Text(w, Keys.DecisionLogHeadSequence); w.WriteInt64(DecisionLogHeadSequence);
        Text(w, Keys.DecisionLogHeadSha256); w.WriteTextString(DecisionLogHeadSha256);
        Text(w, Keys.ConsentIds); Ids(w, ConsentIds);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>Reads a payload written by <see cref="ToCbor"/>; anything else (non-canonical, unknown or missing keys) is refused.</summary>
    /// <exception cref="FormatException">The bytes are not a version-1 manifest in canonical CBOR.</exception>
    public static ProvenanceManifest FromCbor(ReadOnlyMemory<byte> payload)
    {
        try
        {
            var r = new CborReader(payload, CborConformanceMode.Canonical);
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            var count = r.ReadStartMap();
            for (var i = 0; count is null || i < count; i++)
            {
                if (count is null && r.PeekState() == CborReaderState.EndMap)
                {
                    break;
                }

                var key = r.ReadTextString();
                values[key] = key switch
                {
                    Keys.ManifestVersion or Keys.Width or Keys.Height => r.ReadInt32(),
                    Keys.SizeBytes or Keys.DurationMs or Keys.DecisionLogHeadSequence => r.ReadInt64(),
                    Keys.CreatedAt => r.ReadDateTimeOffset(),
                    Keys.DecisionIds or Keys.ConsentIds => ReadIds(r),
                    Keys.ProviderJobId when r.PeekState() == CborReaderState.Null => ReadNull(r),
                    Keys.GenerationId or Keys.KeyId or Keys.OutputSha256 or Keys.MediaType or Keys.Generator or Keys.Model
                        or Keys.ProviderJobId or Keys.DigitalSourceType or Keys.PromptSha256 or Keys.PolicyVersion
                        or Keys.DecisionLogHeadSha256 => r.ReadTextString(),
                    _ => throw new FormatException($"Unknown manifest field '{key}'."),
                };
            }

            r.ReadEndMap();
            if (r.BytesRemaining != 0)
            {
                throw new FormatException("Bytes follow the manifest.");
            }

            if (values.Count != Keys.All.Length)
            {
                throw new FormatException($"The manifest lacks {string.Join(", ", Keys.All.Where(k => !values.ContainsKey(k)))}.");
            }

            var version = (int)values[Keys.ManifestVersion]!;
            if (version != CurrentVersion)
            {
                throw new FormatException($"Manifest version {version} is not supported (this service reads version {CurrentVersion}).");
            }

            return new ProvenanceManifest(
                version,
                Guid.ParseExact((string)values[Keys.GenerationId]!, "D"),
                (DateTimeOffset)values[Keys.CreatedAt]!,
                (string)values[Keys.KeyId]!,
                (string)values[Keys.OutputSha256]!,
                (string)values[Keys.MediaType]!,
                (long)values[Keys.SizeBytes]!,
                TimeSpan.FromMilliseconds((long)values[Keys.DurationMs]!),
                (int)values[Keys.Width]!,
                (int)values[Keys.Height]!,
                (string)values[Keys.Generator]!,
                (string)values[Keys.Model]!,
                (string?)values[Keys.ProviderJobId],
                (string)values[Keys.DigitalSourceType]!,
                (string)values[Keys.PromptSha256]!,
                (string)values[Keys.PolicyVersion]!,
                (IReadOnlyList<Guid>)values[Keys.DecisionIds]!,
                (long)values[Keys.DecisionLogHeadSequence]!,
                (string)values[Keys.DecisionLogHeadSha256]!,
                (IReadOnlyList<Guid>)values[Keys.ConsentIds]!);
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or OverflowException)
        {
            throw new FormatException($"The payload is not a canonical CBOR provenance manifest: {ex.Message}", ex);
        }
    }

    private static void Text(CborWriter w, string key) => w.WriteTextString(key);

    private static void Ids(CborWriter w, IReadOnlyList<Guid> ids)
    {
        w.WriteStartArray(ids.Count);
        foreach (var id in ids)
        {
            w.WriteTextString(id.ToString("D"));
        }

        w.WriteEndArray();
    }

    private static List<Guid> ReadIds(CborReader r)
    {
        var ids = new List<Guid>();
        var count = r.ReadStartArray() ?? throw new FormatException("Id lists must have a definite length.");
        for (var i = 0; i < count; i++)
        {
            ids.Add(Guid.ParseExact(r.ReadTextString(), "D"));
        }

        r.ReadEndArray();
        return ids;
    }

    private static object? ReadNull(CborReader r)
    {
        r.ReadNull();
        return null;
    }

    /// <summary>The payload's map keys; docs/provenance.md lists them with their meaning.</summary>
    internal static class Keys
    {
        public const string ManifestVersion = "manifestVersion";
        public const string GenerationId = "generationId";
        public const string CreatedAt = "createdAt";
        public const string KeyId = "keyId";
        public const string OutputSha256 = "outputSha256";
        public const string MediaType = "mediaType";
        public const string SizeBytes = "sizeBytes";
        public const string DurationMs = "durationMs";
        public const string Width = "width";
        public const string Height = "height";
        public const string Generator = "generator";
        public const string Model = "model";
        public const string ProviderJobId = "providerJobId";
        public const string DigitalSourceType = "digitalSourceType";
        public const string PromptSha256 = "promptSha256";
        public const string PolicyVersion = "policyVersion";
        public const string DecisionIds = "decisionIds";
        public const string DecisionLogHeadSequence = "decisionLogHeadSequence";
        public const string DecisionLogHeadSha256 = "decisionLogHeadSha256";
        public const string ConsentIds = "consentIds";

        public static readonly string[] All =
        [
            ManifestVersion, GenerationId, CreatedAt, KeyId, OutputSha256, MediaType, SizeBytes, DurationMs, Width, Height,
            Generator, Model, ProviderJobId, DigitalSourceType, PromptSha256, PolicyVersion, DecisionIds,
            DecisionLogHeadSequence, DecisionLogHeadSha256, ConsentIds,
        ];
    }
}

/// <summary>What the pipeline knows at release that the generator does not.</summary>
/// <param name="GenerationId">The generation being released.</param>
/// <param name="Prompt">The prompt as screened; only its hash goes into the manifest.</param>
/// <param name="PolicyVersion">Content hash of the policy set that decided.</param>
/// <param name="DecisionIds">The decisions that allowed the release.</param>
/// <param name="DecisionLogHeadSequence">Sequence of the decision log's last entry at release.</param>
/// <param name="DecisionLogHeadSha256">Entry hash of that entry.</param>
/// <param name="ConsentIds">Likeness consents of the people shown.</param>
public sealed record ReleaseFacts(
    Guid GenerationId,
    string Prompt,
    string PolicyVersion,
    IReadOnlyList<Guid> DecisionIds,
    long DecisionLogHeadSequence,
    string DecisionLogHeadSha256,
    IReadOnlyList<Guid> ConsentIds);

/// <summary>SHA-256 and length of a byte stream, read once in chunks (any size, constant memory).</summary>
public readonly record struct MediaDigest(string Sha256, long Length)
{
    public static async Task<MediaDigest> ComputeAsync(Stream stream, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }

        return new MediaDigest(Convert.ToHexStringLower(hash.GetHashAndReset()), length);
    }
}
