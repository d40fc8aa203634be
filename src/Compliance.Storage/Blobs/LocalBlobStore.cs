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
        if (TryTouch(path))
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

    /// <summary>
    /// Moves a file the caller owns into the store under the SHA-256 of its bytes (streamed, never held in memory)
    /// and returns that name. The source file is gone afterwards, whatever happens.
    /// </summary>
    public async Task<string> PutFileAsync(string sourcePath, CancellationToken ct = default)
    {
        Directory.CreateDirectory(Root);
        var temp = Path.Combine(Root, Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            string sha;
            await using (var source = new FileStream(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose))
            await using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await source.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await target.WriteAsync(buffer.AsMemory(0, read), ct);
                }

                await target.FlushAsync(ct);
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            var path = PathFor(sha);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(temp, path, overwrite: true);
            return sha;
        }
        finally
        {
            File.Delete(temp);
            File.Delete(sourcePath);
        }
    }

    /// <summary>The file holding a blob, or null when there is none; for streaming large blobs.</summary>
    public string? FileOf(string sha256)
    {
        var path = PathFor(sha256);
        return File.Exists(path) ? path : null;
    }

    /// <summary>
    /// Deletes a blob's file unless it was written or stored again (see <see cref="PutAsync"/>, which touches an
    /// existing file) after <paramref name="untouchedSinceUtc"/>: a writer that is about to reference the same bytes
    /// keeps them. The caller has checked that no row references the blob.
    /// </summary>
    public BlobDeletion DeleteIfUntouchedSince(string sha256, DateTime untouchedSinceUtc)
    {
        var path = PathFor(sha256);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return BlobDeletion.Absent;
        }

        if (file.LastWriteTimeUtc >= untouchedSinceUtc)
        {
            return BlobDeletion.KeptRecent;
        }

        try
        {
            file.Delete();
        }
        catch (DirectoryNotFoundException)
        {
            return BlobDeletion.Absent;
        }

        return BlobDeletion.Deleted;
    }

    /// <summary>
    /// Every blob whose file was last written or stored again before <paramref name="untouchedSinceUtc"/>, in no
    /// particular order: the candidates of a store-wide orphan sweep. Files that are not blobs are not listed.
    /// </summary>
    public IEnumerable<string> BlobsUntouchedSince(DateTime untouchedSinceUtc)
    {
        if (!Directory.Exists(Root))
        {
            yield break;
        }

        foreach (var file in new DirectoryInfo(Root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 }))
        {
            var name = file.Name;
            if (name.Length == 64 && name.All(char.IsAsciiHexDigitLower) && file.DirectoryName == Path.GetDirectoryName(PathFor(name))
                && file.LastWriteTimeUtc < untouchedSinceUtc)
            {
                yield return name;
            }
        }
    }

    /// <summary>
    /// Deletes temporary files (<c>*.tmp</c>) a write left behind when its process died between writing and renaming,
    /// if older than <paramref name="untouchedSinceUtc"/>; returns how many went.
    /// </summary>
    public int DeleteAbandonedWrites(DateTime untouchedSinceUtc)
    {
        if (!Directory.Exists(Root))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var file in new DirectoryInfo(Root).EnumerateFiles("*.tmp", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 }))
        {
            if (file.LastWriteTimeUtc < untouchedSinceUtc)
            {
                try
                {
                    file.Delete();
                    deleted++;
                }
                catch (IOException)
                {
                    // Gone meanwhile, or in use: the next sweep looks again.
                }
            }
        }

        return deleted;
    }

    public async Task<byte[]?> GetAsync(string sha256, CancellationToken ct = default)
    {
        var path = PathFor(sha256);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, ct) : null;
    }

    /// <summary>Marks an existing blob as just stored (its write time), so a retention sweep leaves it alone.</summary>
    private static bool TryTouch(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
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

/// <summary>What <see cref="LocalBlobStore.DeleteIfUntouchedSince"/> did.</summary>
public enum BlobDeletion
{
    Deleted,
    Absent,
    KeptRecent,
}
