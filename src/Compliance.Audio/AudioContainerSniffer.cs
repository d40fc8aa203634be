using System.Buffers.Binary;
using System.Text;

namespace Compliance.Audio;

/// <summary>
/// An accepted audio container and the demuxer forced for it, so that neither ffprobe nor fpcalc ever guesses the format
/// from the content (and so never picks a playlist, concat or image-sequence demuxer that opens other files or URLs).
/// </summary>
/// <param name="Name">Short name for messages, e.g. <c>FLAC</c>.</param>
/// <param name="Demuxer">The libavformat demuxer passed as <c>-f</c> to ffprobe and <c>-format</c> to fpcalc.</param>
public sealed record AudioContainer(string Name, string Demuxer)
{
    internal static readonly AudioContainer Wav = new("WAV", "wav");
    internal static readonly AudioContainer Flac = new("FLAC", "flac");
    internal static readonly AudioContainer Ogg = new("Ogg", "ogg");
    internal static readonly AudioContainer Mp3 = new("MP3", "mp3");
    internal static readonly AudioContainer Mp4 = new("MP4/M4A", "mov");
    internal static readonly AudioContainer Matroska = new("Matroska/WebM", "matroska");
    internal static readonly AudioContainer Avi = new("AVI", "avi");

    private static readonly AudioContainer[] Known = [Wav, Flac, Ogg, Mp3, Mp4, Matroska, Avi];

    /// <summary>
    /// The container to force for the audio track of a video whose demuxer the video gate chose from its own allow-list
    /// (<c>mov</c>, <c>matroska</c>, <c>avi</c>), or <c>null</c> for any other demuxer: none that can open other files.
    /// </summary>
    public static AudioContainer? ForVideoDemuxer(string demuxer) => demuxer switch
    {
        "mov" => Mp4,
        "matroska" => Matroska,
        "avi" => Avi,
        _ => null,
    };

    internal static bool IsKnown(AudioContainer container) => Known.Contains(container);
}

/// <summary>
/// Decides from a file's leading bytes — never its name or declared type — whether it is an accepted audio container:
/// RIFF WAVE, FLAC, Ogg, MP3 (ID3 tag or MPEG audio frame sync), ISO-BMFF (M4A/MP4) or EBML (Matroska/WebM). Everything
/// else is refused before any process opens it.
/// </summary>
internal static class AudioContainerSniffer
{
    internal const int HeaderLength = 64;

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
    public static AudioContainer? Sniff(ReadOnlySpan<byte> header) => header switch
    {
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'A', (byte)'V', (byte)'E', ..] => AudioContainer.Wav,
        [(byte)'f', (byte)'L', (byte)'a', (byte)'C', ..] => AudioContainer.Flac,
        [(byte)'O', (byte)'g', (byte)'g', (byte)'S', 0, ..] => AudioContainer.Ogg,
        [(byte)'I', (byte)'D', (byte)'3', < 0xFF, < 0xFF, ..] => AudioContainer.Mp3,
        _ when IsMpegAudioFrame(header) => AudioContainer.Mp3,
        _ when header.Length >= 12 && header.Slice(4, 4).SequenceEqual("ftyp"u8) && BinaryPrimitives.ReadUInt32BigEndian(header) >= 16 => AudioContainer.Mp4,
        [0x1A, 0x45, 0xDF, 0xA3, ..] => AudioContainer.Matroska,
        _ => null,
    };

    /// <summary>What refused bytes look like, for the 415 message: the caller learns why, not just "no".</summary>
    public static string Describe(ReadOnlySpan<byte> header)
    {
        var text = Encoding.ASCII.GetString(header.Length > 32 ? header[..32] : header).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return header switch
        {
            [] => "an empty file",
            _ when text.StartsWith("#EXTM3U", StringComparison.Ordinal) => "an HLS/M3U playlist",
            _ when text.StartsWith("[playlist]", StringComparison.OrdinalIgnoreCase) => "a PLS playlist",
            _ when text.StartsWith("ffconcat", StringComparison.Ordinal) => "an ffconcat script",
            _ when text.StartsWith("<", StringComparison.Ordinal) => "an XML/HTML document (e.g. DASH, XSPF or SVG)",
            [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "a PNG image",
            [0xFF, 0xD8, 0xFF, ..] => "a JPEG image",
            _ => "not a recognised audio container",
        };
    }

    // An MPEG-1/2/2.5 Layer III frame header: 11 sync bits, a valid version, layer III, a bitrate index that is neither
    // free nor bad, and a valid sample-rate index. Checking all of it keeps random bytes from passing as MP3.
    private static bool IsMpegAudioFrame(ReadOnlySpan<byte> header)
    {
        if (header.Length < 4 || header[0] != 0xFF || (header[1] & 0xE0) != 0xE0)
        {
            return false;
        }

        var version = (header[1] >> 3) & 0x3;
        var layer = (header[1] >> 1) & 0x3;
        var bitrate = header[2] >> 4;
        var sampleRate = (header[2] >> 2) & 0x3;
        return version != 1 && layer == 1 && bitrate is not (0 or 15) && sampleRate != 3;
    }
}
