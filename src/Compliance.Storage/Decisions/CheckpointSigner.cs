using System.Security.Cryptography;
using System.Text;

namespace Compliance.Storage.Decisions;

/// <summary>
/// The service's checkpoint key: an ECDSA P-256 key kept in a PEM file (PKCS#8, mode 600) outside the
/// database, created on first start. Whoever owns the database but not this file cannot sign a
/// checkpoint. Several nodes on one database share the file (a mounted secret), so each can sign and
/// each can check the others' checkpoints.
/// </summary>
public sealed class CheckpointSigner : IDisposable
{
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private readonly ECDsa _key;
    private readonly Lock _gate = new();

    private CheckpointSigner(ECDsa key)
    {
        _key = key;
        var spki = key.ExportSubjectPublicKeyInfo();
        KeyId = Convert.ToHexStringLower(SHA256.HashData(spki));
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
    }

    /// <summary>SHA-256 of the public key (SubjectPublicKeyInfo DER), hex: names the key in every checkpoint.</summary>
    public string KeyId { get; }

    /// <summary>The public key, for auditors to keep and check checkpoints with.</summary>
    public string PublicKeyPem { get; }

    /// <summary>Loads the key from <paramref name="path"/>, creating it (and its folder) when there is none yet.</summary>
    public static CheckpointSigner LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            CreateKeyFile(path);
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.ExportParameters(includePrivateParameters: true).Curve.Oid.Value != P256Oid)
            {
                throw new InvalidOperationException($"The decision-log signing key {path} is not a P-256 key; ES256 needs one.");
            }
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new InvalidOperationException($"The decision-log signing key {path} is not a PEM EC private key: {ex.Message}", ex);
        }
        catch (ArgumentException ex)
        {
            key.Dispose();
            throw new InvalidOperationException($"The decision-log signing key {path} holds no PEM key: {ex.Message}", ex);
        }

        return new CheckpointSigner(key);
    }

    /// <summary>Signs the head <paramref name="sequence"/> / <paramref name="headSha256"/> as of <paramref name="at"/> (kept to the microsecond, as PostgreSQL keeps it).</summary>
    public Checkpoint Sign(long sequence, byte[] headSha256, long entryCount, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(headSha256);
        var head = Convert.ToHexStringLower(headSha256);
        var time = DecisionLog.TruncateToMicroseconds(at);
        var text = Checkpoint.TextToSign(sequence, head, entryCount, time, KeyId);
        byte[] signature;
        lock (_gate)
        {
            signature = _key.SignData(Encoding.UTF8.GetBytes(text), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        return new Checkpoint(sequence, head, entryCount, time, KeyId, Convert.ToBase64String(signature));
    }

    /// <summary>Whether <paramref name="checkpoint"/> was signed by this key, over exactly its fields.</summary>
    public bool Verify(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.KeyId != KeyId || checkpoint.Algorithm != Checkpoint.Es256 || checkpoint.HeadBytes() is null)
        {
            return false;
        }

        var signature = new byte[checkpoint.Signature.Length];
        if (!Convert.TryFromBase64String(checkpoint.Signature, signature, out var length))
        {
            return false;
        }

        var text = Encoding.UTF8.GetBytes(checkpoint.SignedText);
        lock (_gate)
        {
            return _key.VerifyData(text, signature.AsSpan(0, length), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
    }

    public void Dispose() => _key.Dispose();

    private static void CreateKeyFile(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var temp = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.Write(fresh.ExportPkcs8PrivateKeyPem());
        }

        try
        {
            // Written aside and moved into place: a node never reads a half-written key, and when two
            // nodes start at once one key wins and both use it.
            File.Move(temp, full, overwrite: false);
        }
        catch (IOException) when (File.Exists(full))
        {
            File.Delete(temp);
        }
    }
}
