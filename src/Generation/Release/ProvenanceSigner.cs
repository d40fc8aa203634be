using System.Security.Cryptography;
using System.Security.Cryptography.Cose;

namespace Compliance.Generation.Release;

/// <summary>A signed manifest: the manifest as signed, and the COSE_Sign1 message to store and hand out.</summary>
/// <param name="Manifest">The manifest with its <c>KeyId</c> and <c>CreatedAt</c> as signed.</param>
/// <param name="CoseSign1">The tagged COSE_Sign1 message (RFC 9052), payload embedded.</param>
public sealed record SignedProvenance(ProvenanceManifest Manifest, byte[] CoseSign1);

/// <summary>
/// Signs provenance manifests with the key ring's active key as COSE_Sign1 / ES256 (ECDSA P-256 with SHA-256). The
/// protected header carries the algorithm, the key id (<c>kid</c>, the 32 bytes of the key's SPKI hash) and the
/// payload's content type; the payload is the manifest's canonical CBOR. Thread-safe.
/// </summary>
public sealed class ProvenanceSigner
{
    private readonly ProvenanceKeyRing _keys;
    private readonly TimeProvider _time;

    public ProvenanceSigner(ProvenanceKeyRing keys, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Signs <paramref name="manifest"/> with the active key. Its <c>KeyId</c> and <c>CreatedAt</c> are set here (to
    /// the signing key's id and the current time, to the second), whatever they held.
    /// </summary>
    public SignedProvenance Sign(ProvenanceManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var (key, ecdsa) = _keys.CreateActiveSigner();
        using (ecdsa)
        {
            var now = _time.GetUtcNow();
            var signed = manifest with
            {
                KeyId = key.KeyId,
                CreatedAt = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero),
            };
            var headers = new CoseHeaderMap
            {
                [CoseHeaderLabel.KeyIdentifier] = CoseHeaderValue.FromBytes(Convert.FromHexString(key.KeyId)),
                [CoseHeaderLabel.ContentType] = CoseHeaderValue.FromString(ProvenanceManifest.ContentType),
            };
            var signer = new CoseSigner(ecdsa, HashAlgorithmName.SHA256, headers);
            return new SignedProvenance(signed, CoseSign1Message.SignEmbedded(signed.ToCbor(), signer));
        }
    }

    /// <summary>
    /// Signs arbitrary bytes with the active key (ECDSA P-256, SHA-256, IEEE P1363 r||s), for messages that are not
    /// manifests, e.g. the pipeline's callbacks; verifiers use the same published key.
    /// </summary>
    public (string KeyId, byte[] Signature) SignDetached(ReadOnlySpan<byte> data)
    {
        var (key, ecdsa) = _keys.CreateActiveSigner();
        using (ecdsa)
        {
            return (key.KeyId, ecdsa.SignData(data, HashAlgorithmName.SHA256));
        }
    }
}
