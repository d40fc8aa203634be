using System.Security.Cryptography;

namespace Compliance.Generation.Frames;

/// <summary>
/// An uploaded video written to a temporary file so ffprobe and ffmpeg can seek in it (MP4 and friends need that, a
/// pipe cannot give it), with its size and SHA-256 taken on the way. The file is opened delete-on-close: disposing
/// this removes it, whatever happened in between. Made by <see cref="FrameSampler.SpoolAsync"/>.
/// </summary>
public sealed class SpooledVideo : IAsyncDisposable
{
    private const int CopyBufferBytes = 81920;
    private readonly FileStream _file;

    private SpooledVideo(FileStream file, long length, string sha256)
    {
        _file = file;
        Length = length;
        Sha256 = sha256;
    }

    /// <summary>Absolute path of the spooled file; valid until this is disposed.</summary>
    public string Path => _file.Name;

    public long Length { get; }

    /// <summary>Lower-case hex SHA-256 of the bytes as uploaded.</summary>
    public string Sha256 { get; }

    public ValueTask DisposeAsync() => _file.DisposeAsync();

    /// <summary>
    /// Copies <paramref name="source"/> into a new file under <paramref name="directory"/>, refusing it as TooLarge as
    /// soon as it passes <paramref name="maxBytes"/> (so an oversized upload is never stored whole) and as Empty when it
    /// has no bytes. On any failure the partial file is deleted.
    /// </summary>
    internal static async Task<SpooledVideo> CreateAsync(Stream source, string directory, long maxBytes, CancellationToken ct)
    {
        var path = System.IO.Path.Combine(directory, $"compliance-video-{Guid.NewGuid():N}.upload");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, CopyBufferBytes,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        var kept = false;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[CopyBufferBytes];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    throw new VideoRejectedException(VideoRejectionReason.TooLarge, $"The upload exceeds the limit of {maxBytes} bytes.");
                }

                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
            }

            if (total == 0)
            {
                throw new VideoRejectedException(VideoRejectionReason.Empty, "The video is empty (0 bytes).");
            }

            await file.FlushAsync(ct).ConfigureAwait(false);
            kept = true;
            return new SpooledVideo(file, total, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        finally
        {
            if (!kept)
            {
                await file.DisposeAsync().ConfigureAwait(false); // delete-on-close: nothing is left behind
            }
        }
    }
}
