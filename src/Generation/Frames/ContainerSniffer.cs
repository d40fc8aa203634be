using System.Buffers.Binary;
using System.Text;

namespace Compliance.Generation.Frames;

/// <summary>
/// An accepted video container: the ffmpeg demuxer that is forced for it (so ffmpeg never guesses, and never picks a
/// playlist, concat or image-sequence demuxer that would open other files), and the media type recorded for it.
/// </summary>
/// <param name="Name">Short name for messages, e.g. <c>MP4</c>.</param>
/// <param name="Demuxer">The ffmpeg demuxer passed as <c>-f</c> to ffprobe and ffmpeg.</param>
/// <param name="MediaType">The media type recorded with the decision.</param>
public sealed record VideoContainer(string Name, string Demuxer, string MediaType)
{
    internal static readonly VideoContainer Mp4 = new("MP4", "mov", "video/mp4");
    internal static readonly VideoContainer QuickTime = new("QuickTime", "mov", "video/quicktime");
    internal static readonly VideoContainer ThreeGpp = new("3GP", "mov", "video/3gpp");
    internal static readonly VideoContainer Matroska = new("Matroska", "matroska", "video/x-matroska");
    internal static readonly VideoContainer WebM = new("WebM", "matroska", "video/webm");
    internal static readonly VideoContainer Avi = new("AVI", "avi", "video/x-msvideo");
}

/// <summary>
/// Decides from a file's leading bytes — never its name or declared type — whether it is one of the accepted video
/// containers: ISO-BMFF (MP4, MOV, 3GP), EBML (Matroska, WebM) or RIFF AVI. Everything else (HLS playlists, ffconcat
/// scripts, images, MPEG-TS, text, ...) is refused before ffprobe or ffmpeg ever opens it, because their demuxers can be
/// told by the file's content to read other files or URLs.
/// </summary>
internal static class ContainerSniffer
{
    /// <summary>Enough for the ISO-BMFF brand, the RIFF form type and the EBML DocType of ordinary files.</summary>
    internal const int HeaderLength = 64;

    // HEIF/AVIF still images (and their image sequences) are ISO-BMFF too; they are images, not videos.
    private static readonly string[] ImageBrands = ["mif1", "msf1", "heic", "heix", "heim", "heis", "hevc", "hevx", "avif", "avis", "avci", "jpeg", "jxl "];

    // A QuickTime file written before the ftyp box existed starts with one of its other top-level boxes.
    private static readonly string[] QuickTimeLeadingBoxes = ["moov", "mdat", "wide", "free", "skip"];

    public static async Task<ReadOnlyMemory<byte>> ReadHeaderAsync(string path, CancellationToken ct)
    {
        var header = new byte[HeaderLength];
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        await using (file.ConfigureAwait(false))
        {
            var read = await file.ReadAtLeastAsync(header, HeaderLength, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            return header.AsMemory(0, read);
        }
    }

    /// <summary>The accepted container these bytes open, or <c>null</c>.</summary>
    public static VideoContainer? Sniff(ReadOnlySpan<byte> header)
    {
        if (header.Length >= 12 && Ascii(header.Slice(4, 4)) == "ftyp")
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var brand = Ascii(header.Slice(8, 4));
            if (size < 16 || ImageBrands.Contains(brand, StringComparer.Ordinal))
            {
                return null;
            }

            return brand switch
            {
                "qt  " => VideoContainer.QuickTime,
                _ when brand.StartsWith("3g", StringComparison.Ordinal) => VideoContainer.ThreeGpp,
                _ => VideoContainer.Mp4,
            };
        }

        if (header.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(header) >= 8
            && QuickTimeLeadingBoxes.Contains(Ascii(header.Slice(4, 4)), StringComparer.Ordinal))
        {
            return VideoContainer.QuickTime;
        }

        if (header.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]))
        {
            // The EBML header names its DocType (element 0x4282) within its first few dozen bytes.
            var docType = header.IndexOf((ReadOnlySpan<byte>)[0x42, 0x82]);
            return docType >= 0 && header[(docType + 2)..].IndexOf("webm"u8) is >= 0 and <= 2 ? VideoContainer.WebM : VideoContainer.Matroska;
        }

        if (header.Length >= 12 && header.StartsWith("RIFF"u8) && header.Slice(8, 4).SequenceEqual("AVI "u8))
        {
            return VideoContainer.Avi;
        }

        return null;
    }

    /// <summary>What refused bytes look like, for the 415 message: the caller learns why, not just "no".</summary>
    public static string Describe(ReadOnlySpan<byte> header)
    {
        var text = Encoding.ASCII.GetString(header.Length > 32 ? header[..32] : header).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return header switch
        {
            [] => "an empty file",
            _ when text.StartsWith("#EXTM3U", StringComparison.Ordinal) => "an HLS/M3U playlist",
            _ when text.StartsWith("ffconcat", StringComparison.Ordinal) => "an ffconcat script",
            [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "a PNG image",
            [0xFF, 0xD8, 0xFF, ..] => "a JPEG image",
            [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => "a GIF image",
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "a WebP image",
            [_, _, _, _, (byte)'f', (byte)'t', (byte)'y', (byte)'p', ..] => "an ISO-BMFF image or audio file",
            _ when text.StartsWith("<", StringComparison.Ordinal) => "an XML/HTML document (e.g. DASH or SVG)",
            _ => "not a recognised video container",
        };
    }

    private static string Ascii(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);
}
