using System.Text;
using Compliance.Generation.Frames;

namespace Compliance.Generation.Tests;

public sealed class ContainerSnifferTests
{
    private static byte[] Ftyp(string brand) => [0, 0, 0, 0x20, .. "ftyp"u8, .. Encoding.ASCII.GetBytes(brand), 0, 0, 0, 0];

    public static TheoryData<string, byte[], string?> Headers => new()
    {
        { "MP4", Ftyp("isom"), "mov" },
        { "QuickTime", Ftyp("qt  "), "mov" },
        { "3GP", Ftyp("3gp4"), "mov" },
        { "QuickTime without ftyp", [0, 0, 0, 0x08, .. "wide"u8, 0, 0, 0, 0], "mov" },
        { "Matroska", [0x1A, 0x45, 0xDF, 0xA3, 0xA3, 0x42, 0x86, 0x81, 1, 0x42, 0x82, 0x88, .. "matroska"u8], "matroska" },
        { "WebM", [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 1, 0x42, 0x82, 0x84, .. "webm"u8], "matroska" },
        { "AVI", "RIFF\0\0\0\0AVI LIST"u8.ToArray(), "avi" },
        { "AVIF image", Ftyp("avif"), null },
        { "HEIC image", Ftyp("heic"), null },
        { "HEIF image", Ftyp("mif1"), null },
        { "WAVE", "RIFF\0\0\0\0WAVEfmt "u8.ToArray(), null },
        { "PNG", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D], null },
        { "HLS playlist", "#EXTM3U\n#EXTINF:4,\n/etc/passwd\n"u8.ToArray(), null },
        { "ffconcat", "ffconcat version 1.0\nfile /etc/passwd\n"u8.ToArray(), null },
        { "MPEG-TS", [0x47, 0x40, 0x00, 0x10, 0, 0, 0xB0, 0x0D, 0, 1, 0xC1, 0], null },
        { "FLV", "FLV\u0001\u0005\0\0\0\u0009\0\0\0"u8.ToArray(), null },
        { "Ogg", "OggS\0\u0002\0\0\0\0\0\0"u8.ToArray(), null },
        { "MP3", "ID3\u0004\0\0\0\0\0\0\0\0"u8.ToArray(), null },
        { "empty", [], null },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void OnlyAllowListedContainersAreAcceptedAndEachForcesItsDemuxer(string what, byte[] header, string? demuxer)
    {
        Assert.True(demuxer == ContainerSniffer.Sniff(header)?.Demuxer, what);
    }

    [Theory]
    [InlineData("#EXTM3U\n/etc/passwd\n", "HLS")]
    [InlineData("ffconcat version 1.0\nfile a.mp4\n", "ffconcat")]
    [InlineData("\u0089PNG\r\n", "PNG image")]
    [InlineData("just some words", "not a recognised video container")]
    public void ARefusedFileIsNamedInTheMessage(string content, string named)
    {
        Assert.Contains(named, ContainerSniffer.Describe(Encoding.Latin1.GetBytes(content)), StringComparison.Ordinal);
    }

    [Fact]
    public void WebMIsToldFromMatroskaByItsDocType()
    {
        Assert.Equal("video/webm", ContainerSniffer.Sniff([0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 1, 0x42, 0x82, 0x84, .. "webm"u8])!.MediaType);
        Assert.Equal("video/x-matroska", ContainerSniffer.Sniff([0x1A, 0x45, 0xDF, 0xA3, 0xA3, 0x42, 0x86, 0x81, 1, 0x42, 0x82, 0x88, .. "matroska"u8])!.MediaType);
    }
}
