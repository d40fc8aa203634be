using System.Globalization;
using System.Text.Json.Serialization;

namespace Compliance.Storage.Decisions;

/// <summary>
/// A signed statement that the decision log's entry <see cref="Sequence"/> had hash
/// <see cref="HeadSha256"/> (and the log <see cref="EntryCount"/> entries) at <see cref="CreatedAt"/>.
/// The signature is ES256 (ECDSA P-256 with SHA-256), DER-encoded and base64, over the UTF-8 bytes of
/// <see cref="SignedText"/>; <see cref="KeyId"/> is the SHA-256 of the signing key's public key
/// (SubjectPublicKeyInfo DER), hex. Anyone holding the public key can check one with openssl.
/// </summary>
public sealed record Checkpoint(
    long Sequence,
    string HeadSha256,
    long EntryCount,
    DateTimeOffset CreatedAt,
    string KeyId,
    string Signature)
{
    public const string Es256 = "ES256";
    private const string Format = "compliance-decision-log-checkpoint/v1";

    /// <summary>The signature algorithm; always ES256.</summary>
    public string Algorithm { get; init; } = Es256;

    /// <summary>Exactly the text that is signed: one <c>name=value</c> per line after a format line, no trailing newline.</summary>
    [JsonPropertyOrder(100)]
    public string SignedText => TextToSign(Sequence, HeadSha256, EntryCount, CreatedAt, KeyId);

    public static string TextToSign(long sequence, string headSha256, long entryCount, DateTimeOffset createdAt, string keyId) =>
        string.Join('\n',
            Format,
            "sequence=" + sequence.ToString(CultureInfo.InvariantCulture),
            "head-sha256=" + headSha256,
            "entry-count=" + entryCount.ToString(CultureInfo.InvariantCulture),
            "created-at=" + createdAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            "key-id=" + keyId);

    /// <summary>The head hash as bytes, or null when it is not 64 hex digits.</summary>
    public byte[]? HeadBytes() => HeadSha256.Length == 64 && HeadSha256.All(Uri.IsHexDigit) ? Convert.FromHexString(HeadSha256) : null;
}
