using System.Security.Cryptography;

namespace Compliance.Storage.Blobs;

/// <summary>
/// Content-addressed blob storage on local disk: a blob's name is the SHA-256 of its bytes, stored at
/// <c>root/ab/cd/abcd…</c>. Writing the same bytes twice stores them once. Writes go to a temporary
/// file in the same folder and are renamed into place, so a reader never sees a partial blob.
/// </summary>
public sealed class LocalBlobStore(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public async Task<string> PutAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
        var path = PathFor(sha);
        if (File.Exists(path))
        {
            return sha;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await File.WriteAllBytesAsync(temp, bytes.ToArray(), ct);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        return sha;
    }

    public async Task<byte[]?> GetAsync(string sha256, CancellationToken ct = default)
    {
        var path = PathFor(sha256);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, ct) : null;
    }

    private string PathFor(string sha)
    {
        if (sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Not a lower-case SHA-256 hex string.", nameof(sha));
        }

        return Path.Combine(Root, sha[..2], sha[2..4], sha);
    }
}
