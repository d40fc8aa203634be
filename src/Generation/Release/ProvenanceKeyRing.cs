using System.Security.Cryptography;
using System.Text;

namespace Compliance.Generation.Release;

/// <summary>One provenance signing key: its id and public key. The private key stays in the ring.</summary>
/// <param name="KeyId">Lower-case hex SHA-256 of <paramref name="SubjectPublicKeyInfo"/>.</param>
/// <param name="SubjectPublicKeyInfo">DER SubjectPublicKeyInfo of the P-256 public key, for publishing to verifiers.</param>
public sealed record ProvenanceKey(string KeyId, byte[] SubjectPublicKeyInfo);

/// <summary>
/// The service's provenance signing keys, kept as files in one folder: each key a PKCS#8 PEM file
/// <c>{keyId}.key.pem</c> with mode 0600 (the folder 0700), plus a file <c>active</c> naming the key that signs. The
/// first key is created on first use; <see cref="Rotate"/> creates a new key and makes it active while every older
/// key stays for verifying what it signed. The key id is the hex SHA-256 of the key's SubjectPublicKeyInfo, so it
/// names the key itself, not its file: a key file whose name disagrees with its content is refused, as is one that
/// others may read. Thread-safe; several nodes may share the folder (the first to create <c>active</c> wins).
/// </summary>
public sealed class ProvenanceKeyRing
{
    private const string ActiveFile = "active";
    private const string KeySuffix = ".key.pem";
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OthersMayTouch =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    // A verification with an unknown key id re-reads the folder at most this often, so a stream of made-up ids
    // cannot turn into a stream of directory scans.
    private static readonly TimeSpan ReloadOnMissInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private volatile Snapshot _snapshot;
    private long _lastReloadTimestamp;

    private ProvenanceKeyRing(string directory)
    {
        Directory = directory;
        _snapshot = Load(directory);
    }

    /// <summary>The folder holding the keys.</summary>
    public string Directory { get; }

    /// <summary>The key that signs new manifests.</summary>
    public ProvenanceKey ActiveKey => _snapshot.Keys[_snapshot.ActiveKeyId].Public;

    /// <summary>Every key in the ring, the active one included, ordered by id.</summary>
    public IReadOnlyList<ProvenanceKey> Keys => [.. _snapshot.Keys.Values.Select(k => k.Public).OrderBy(k => k.KeyId, StringComparer.Ordinal)];

    /// <summary>
    /// Opens the ring in <paramref name="directory"/>, creating the folder and a first key if there is none.
    /// </summary>
    /// <exception cref="InvalidOperationException">A key file is unreadable, misnamed or open to others, or the active key is missing.</exception>
    public static ProvenanceKeyRing Open(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
        {
            CreatePrivateFolder(full);
        }

        if (!File.Exists(Path.Combine(full, ActiveFile)) && !System.IO.Directory.EnumerateFiles(full, "*" + KeySuffix).Any())
        {
            var keyId = WriteNewKey(full);
            try
            {
                WriteNewFile(Path.Combine(full, ActiveFile), keyId + "\n");
            }
            catch (IOException) when (File.Exists(Path.Combine(full, ActiveFile)))
            {
                // Another node opened the empty folder at the same moment and made its key active; ours stays as a
                // verification-only key.
            }
        }

        return new ProvenanceKeyRing(full);
    }

    /// <summary>Creates a new key and makes it the active one. Older keys are kept for verification.</summary>
    /// <returns>The new key.</returns>
    public ProvenanceKey Rotate()
    {
        lock (_gate)
        {
            var keyId = WriteNewKey(Directory);
            var temp = Path.Combine(Directory, $"{ActiveFile}.{Guid.NewGuid():N}.tmp");
            WriteNewFile(temp, keyId + "\n");
            File.Move(temp, Path.Combine(Directory, ActiveFile), overwrite: true); // atomic on one file system
            _snapshot = Load(Directory);
            return ActiveKey;
        }
    }

    /// <summary>Re-reads the folder, picking up keys and rotations made by another node.</summary>
    public void Reload()
    {
        lock (_gate)
        {
            _snapshot = Load(Directory);
        }
    }

    /// <summary>
    /// Finds a key by id. On a miss the folder is read again (at most every few seconds), since another node sharing
    /// it may have rotated.
    /// </summary>
    public ProvenanceKey? Find(string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (_snapshot.Keys.TryGetValue(keyId, out var key))
        {
            return key.Public;
        }

        lock (_gate)
        {
            var last = Interlocked.Read(ref _lastReloadTimestamp);
            if (last == 0 || System.Diagnostics.Stopwatch.GetElapsedTime(last) >= ReloadOnMissInterval)
            {
                _snapshot = Load(Directory);
                Interlocked.Exchange(ref _lastReloadTimestamp, System.Diagnostics.Stopwatch.GetTimestamp());
            }
        }

        return _snapshot.Keys.TryGetValue(keyId, out key) ? key.Public : null;
    }

    /// <summary>A fresh ECDsa holding the active private key; the caller disposes it. A new object per use because
    /// ECDsa instances are not documented as safe for concurrent signing.</summary>
    internal (ProvenanceKey Key, ECDsa Signer) CreateActiveSigner()
    {
        var snapshot = _snapshot;
        var entry = snapshot.Keys[snapshot.ActiveKeyId];
        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(entry.Pem);
        return (entry.Public, ecdsa);
    }

    private static Snapshot Load(string directory)
    {
        var keys = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + KeySuffix))
        {
            RefuseIfOpenToOthers(path);
            var pem = File.ReadAllText(path, Encoding.ASCII);
            using var ecdsa = ECDsa.Create();
            try
            {
                ecdsa.ImportFromPem(pem);
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                throw new InvalidOperationException($"Provenance key file {path} is not a PEM private key.", ex);
            }

            if (ecdsa.KeySize != 256)
            {
                throw new InvalidOperationException($"Provenance key file {path} is not a P-256 key (ES256 needs one).");
            }

            var spki = ecdsa.ExportSubjectPublicKeyInfo();
            var keyId = KeyIdOf(spki);
            if (Path.GetFileName(path) != keyId + KeySuffix)
            {
                throw new InvalidOperationException($"Provenance key file {path} holds key {keyId}; its name must be {keyId}{KeySuffix}.");
            }

            keys[keyId] = new Entry(new ProvenanceKey(keyId, spki), pem);
        }

        var activePath = Path.Combine(directory, ActiveFile);
        if (!File.Exists(activePath))
        {
            throw new InvalidOperationException($"The provenance key folder {directory} has keys but no '{ActiveFile}' file naming the signing key.");
        }

        var active = File.ReadAllText(activePath, Encoding.ASCII).Trim();
        if (!keys.ContainsKey(active))
        {
            throw new InvalidOperationException($"The active provenance key {active} named in {activePath} is not in the folder.");
        }

        return new Snapshot(keys, active);
    }

    /// <summary>Lower-case hex SHA-256 of a DER SubjectPublicKeyInfo.</summary>
    public static string KeyIdOf(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    private static string WriteNewKey(string directory)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyId = KeyIdOf(ecdsa.ExportSubjectPublicKeyInfo());
        WriteNewFile(Path.Combine(directory, keyId + KeySuffix), ecdsa.ExportPkcs8PrivateKeyPem() + "\n");
        return keyId;
    }

    private static void WriteNewFile(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile; // born private: never readable by others, not even for a moment
        }

        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(text));
        stream.Flush(flushToDisk: true);
    }

    private static void CreatePrivateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
        }
        else
        {
            System.IO.Directory.CreateDirectory(path, PrivateFolder);
        }
    }

    private static void RefuseIfOpenToOthers(string path)
    {
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & OthersMayTouch) != 0)
        {
            throw new InvalidOperationException(
                $"Provenance key file {path} may be read by other users; make it private (chmod 600) before the service uses it.");
        }
    }

    private sealed record Entry(ProvenanceKey Public, string Pem);

    private sealed record Snapshot(IReadOnlyDictionary<string, Entry> Keys, string ActiveKeyId);
}
