using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;

namespace Compliance.Generation.Release;

/// <summary>The outcome of a provenance check.</summary>
public enum ProvenanceVerdict
{
    /// <summary>The signature is good and, where a video or hash was given, it is the one the manifest names.</summary>
    Valid,

    /// <summary>The bytes are not a COSE_Sign1 ES256 message carrying a version-1 manifest.</summary>
    Malformed,

    /// <summary>The message names a key this service does not hold.</summary>
    UnknownKey,

    /// <summary>The signature does not verify with the named key: the message was altered or not signed by it.</summary>
    SignatureInvalid,

    /// <summary>The signature is good but the video (or hash) given is not the one the manifest names.</summary>
    HashMismatch,
}

/// <summary>The result of <see cref="ProvenanceVerifier"/>, with a sentence saying why.</summary>
/// <param name="Verdict">What was found.</param>
/// <param name="Reason">Why, for people.</param>
/// <param name="KeyId">The key id the message names, when it could be read.</param>
/// <param name="Manifest">The manifest, when the signature verified (also for <see cref="ProvenanceVerdict.HashMismatch"/>).</param>
public sealed record ProvenanceVerification(ProvenanceVerdict Verdict, string Reason, string? KeyId, ProvenanceManifest? Manifest)
{
    public bool IsValid => Verdict == ProvenanceVerdict.Valid;
}

/// <summary>
/// Checks provenance messages made by <see cref="ProvenanceSigner"/>: the COSE_Sign1 signature with the key named by
/// its <c>kid</c> (the key ring keeps rotated keys, so old manifests still verify), then optionally a video's bytes or
/// a given SHA-256 against the manifest. Never throws for bad input; the verdict says what was wrong. Thread-safe.
/// </summary>
public sealed class ProvenanceVerifier
{
    private const int Es256 = -7;
    private readonly ProvenanceKeyRing _keys;

    public ProvenanceVerifier(ProvenanceKeyRing keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys;
    }

    /// <summary>Checks the signature and reads the manifest.</summary>
    public ProvenanceVerification Verify(ReadOnlySpan<byte> coseSign1)
    {
        CoseSign1Message message;
        try
        {
            message = CoseMessage.DecodeSign1(coseSign1);
        }
        catch (Exception ex) when (ex is CryptographicException or CborContentException or InvalidOperationException)
        {
            return Fail(ProvenanceVerdict.Malformed, $"Not a COSE_Sign1 message: {ex.Message}", null);
        }

        if (!message.ProtectedHeaders.TryGetValue(CoseHeaderLabel.Algorithm, out var alg) || !IsEs256(alg))
        {
            return Fail(ProvenanceVerdict.Malformed, "The message is not signed with ES256 (the protected header must say alg -7).", null);
        }

        if (!message.ProtectedHeaders.TryGetValue(CoseHeaderLabel.KeyIdentifier, out var kidValue) || message.Content is null)
        {
            return Fail(ProvenanceVerdict.Malformed, "The message has no key id in its protected header, or no embedded payload.", null);
        }

        string keyId;
        try
        {
            keyId = Convert.ToHexStringLower(kidValue.GetValueAsBytes());
        }
        catch (Exception ex) when (ex is InvalidOperationException or CborContentException)
        {
            return Fail(ProvenanceVerdict.Malformed, "The key id is not a byte string.", null);
        }

        if (_keys.Find(keyId) is not { } key)
        {
            return Fail(ProvenanceVerdict.UnknownKey, $"The message was signed with key {keyId}, which this service does not hold.", keyId);
        }

        bool verified;
        using (var ecdsa = ECDsa.Create())
        {
            ecdsa.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
            try
            {
                verified = message.VerifyEmbedded(ecdsa);
            }
            catch (Exception ex) when (ex is CryptographicException or InvalidOperationException)
            {
                return Fail(ProvenanceVerdict.SignatureInvalid, $"The signature cannot be checked: {ex.Message}", keyId);
            }
        }

        if (!verified)
        {
            return Fail(ProvenanceVerdict.SignatureInvalid, $"The signature does not verify with key {keyId}: the message was altered or not signed by this service.", keyId);
        }

        ProvenanceManifest manifest;
        try
        {
            manifest = ProvenanceManifest.FromCbor(message.Content.Value);
        }
        catch (FormatException ex)
        {
            return Fail(ProvenanceVerdict.Malformed, ex.Message, keyId);
        }

        return manifest.KeyId == keyId
            ? new ProvenanceVerification(ProvenanceVerdict.Valid, "The signature verifies.", keyId, manifest)
            : Fail(ProvenanceVerdict.Malformed, $"The manifest names key {manifest.KeyId} but was signed with {keyId}.", keyId);
    }

    /// <summary>Checks the signature, then that <paramref name="sha256Hex"/> is the released file's SHA-256.</summary>
    /// <exception cref="ArgumentException"><paramref name="sha256Hex"/> is not 64 hex digits.</exception>
    public ProvenanceVerification VerifyHash(ReadOnlySpan<byte> coseSign1, string sha256Hex)
    {
        if (!IsSha256Hex(sha256Hex))
        {
            throw new ArgumentException("A SHA-256 is 64 hex digits.", nameof(sha256Hex));
        }

        var result = Verify(coseSign1);
        return result.IsValid ? Compare(result, sha256Hex.ToLowerInvariant(), size: null) : result;
    }

    /// <summary>Checks the signature, then hashes <paramref name="video"/> (streamed) and compares it with the manifest.</summary>
    public async Task<ProvenanceVerification> VerifyVideoAsync(ReadOnlyMemory<byte> coseSign1, Stream video, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(video);
        var result = Verify(coseSign1.Span);
        if (!result.IsValid)
        {
            return result;
        }

        var digest = await MediaDigest.ComputeAsync(video, ct).ConfigureAwait(false);
        return Compare(result, digest.Sha256, digest.Length);
    }

    /// <summary>True for 64 hex digits, either case.</summary>
    public static bool IsSha256Hex(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigit);

    private static ProvenanceVerification Compare(ProvenanceVerification signed, string sha256, long? size)
    {
        var manifest = signed.Manifest!;
        if (!string.Equals(manifest.OutputSha256, sha256, StringComparison.Ordinal))
        {
            var sizeNote = size is { } s && s != manifest.SizeBytes ? $" (and its size, {s} bytes, differs from {manifest.SizeBytes})" : string.Empty;
            return signed with
            {
                Verdict = ProvenanceVerdict.HashMismatch,
                Reason = $"The signature verifies, but the video's SHA-256 is {sha256}, not {manifest.OutputSha256}{sizeNote}: it is not the released file.",
            };
        }

        return signed with { Reason = "The signature verifies and the video is the released file." };
    }

    private static bool IsEs256(CoseHeaderValue value)
    {
        try
        {
            return value.GetValueAsInt32() == Es256;
        }
        catch (Exception ex) when (ex is InvalidOperationException or CborContentException)
        {
            return false;
        }
    }

    private static ProvenanceVerification Fail(ProvenanceVerdict verdict, string reason, string? keyId) => new(verdict, reason, keyId, null);
}
