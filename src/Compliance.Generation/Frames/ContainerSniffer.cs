using System.Text;

namespace Compliance.Generation.Frames;

/// <summary>
/// Tells "a video container that ffprobe could not read" (Corrupt) from "not a video at all" (NotAVideo) by the
/// container's magic bytes, because ffprobe fails on both with the same exit code.
/// </summary>
internal static class ContainerSniffer
{
    private const int HeaderLength = 12;

    public static async Task<bool> LooksLikeVideoContainerAsync(string path, CancellationToken ct)
    {
        var header = new byte[HeaderLength];
        int read;
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        await using (file.ConfigureAwait(false))
        {
            read = await file.ReadAtLeastAsync(header, HeaderLength, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        }

        return LooksLikeVideoContainer(header.AsSpan(0, read));
    }

    internal static bool LooksLikeVideoContainer(ReadOnlySpan<byte> header)
    {
        if (header.Length >= 8 && IsIsoBmffBox(header.Slice(4, 4)))
        {
            return true; // MP4, MOV, 3GP: a size then a top-level box type.
        }

        return StartsWith(header, [0x1A, 0x45, 0xDF, 0xA3]) // Matroska, WebM (EBML)
            || (StartsWith(header, "RIFF"u8) && header.Length >= 12 && header.Slice(8, 3).SequenceEqual("AVI"u8))
            || StartsWith(header, "FLV"u8)
            || StartsWith(header, "OggS"u8)
            || StartsWith(header, [0x00, 0x00, 0x01, 0xBA]) // MPEG program stream
            || StartsWith(header, [0x30, 0x26, 0xB2, 0x75]) // ASF, WMV
            || (header.Length > 0 && header[0] == 0x47 && header.Length >= HeaderLength); // MPEG-TS sync byte
    }

    private static bool IsIsoBmffBox(ReadOnlySpan<byte> type)
    {
        var name = Encoding.ASCII.GetString(type);
        return name is "ftyp" or "moov" or "mdat" or "free" or "wide" or "skip";
    }

    private static bool StartsWith(ReadOnlySpan<byte> header, ReadOnlySpan<byte> magic) =>
        header.Length >= magic.Length && header[..magic.Length].SequenceEqual(magic);
}
