using Compliance.Generation.Frames;

namespace Compliance.Generation.Tests;

public sealed class ContainerSnifferTests
{
    public static TheoryData<byte[], bool> Headers => new()
    {
        { [0, 0, 0, 0x20, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m'], true },
        { [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 1, 0x42, 0xF7, 0x81], true },
        { "RIFF\0\0\0\0AVI "u8.ToArray(), true },
        { "RIFF\0\0\0\0WAVE"u8.ToArray(), false },
        { [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D], false },
        { "ID3\u0004\0\0\0\0\0\0\0\0"u8.ToArray(), false },
        { [], false },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void KnownVideoContainersAreRecognisedByTheirMagicBytes(byte[] header, bool isVideoContainer)
    {
        Assert.Equal(isVideoContainer, ContainerSniffer.LooksLikeVideoContainer(header));
    }
}
