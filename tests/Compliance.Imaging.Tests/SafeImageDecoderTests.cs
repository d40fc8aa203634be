using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Tests;

public sealed class SafeImageDecoderTests
{
    private readonly SafeImageDecoder _decoder = new();

    [Fact]
    public void PngDeclaringTenGigapixelsIsRejectedFromItsHeader()
    {
        var bomb = Png(100_000, 100_000, idat: Deflate(new byte[1 + (3 * 16)]));

        var rejected = Assert.Throws<ImageRejectedException>(() => _decoder.Decode(bomb));

        Assert.Equal(ImageRejectionReason.TooLarge, rejected.Reason);
        Assert.Contains("100000", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageJustOverTheConfiguredPixelLimitIsRejected()
    {
        var decoder = new SafeImageDecoder(maxPixels: 640 * 402 - 1);

        var rejected = Assert.Throws<ImageRejectedException>(
            () => decoder.DecodeFile(SharedPdqVectors.PathOf("bridge-1-original.png")));

        Assert.Equal(ImageRejectionReason.TooLarge, rejected.Reason);
    }

    [Fact]
    public void TruncatedPngIsRejectedAsTruncated()
    {
        var png = File.ReadAllBytes(SharedPdqVectors.PathOf("bridge-1-original.png"));

        var rejected = Assert.Throws<ImageRejectedException>(() => _decoder.Decode(png.AsSpan(0, png.Length / 2)));

        Assert.Equal(ImageRejectionReason.Truncated, rejected.Reason);
    }

    [Fact]
    public void PngCutInsideItsHeaderIsRejected()
    {
        var png = File.ReadAllBytes(SharedPdqVectors.PathOf("bridge-1-original.png"));

        var rejected = Assert.Throws<ImageRejectedException>(() => _decoder.Decode(png.AsSpan(0, 20)));

        Assert.Contains(rejected.Reason, new[] { ImageRejectionReason.Truncated, ImageRejectionReason.UnrecognisedFormat });
    }

    [Fact]
    public void ZeroBytesAreRejectedAsEmpty()
    {
        var rejected = Assert.Throws<ImageRejectedException>(() => _decoder.Decode([]));

        Assert.Equal(ImageRejectionReason.Empty, rejected.Reason);
    }

    [Fact]
    public void RandomBytesAreRejectedAsUnrecognised()
    {
        var noise = new byte[4096];
        new Random(1234).NextBytes(noise);

        var rejected = Assert.Throws<ImageRejectedException>(() => _decoder.Decode(noise));

        Assert.Equal(ImageRejectionReason.UnrecognisedFormat, rejected.Reason);
    }

    [Fact]
    public void InputOverTheByteLimitIsRejectedBeforeParsing()
    {
        var decoder = new SafeImageDecoder(maxEncodedBytes: 100);

        var rejected = Assert.Throws<ImageRejectedException>(() => decoder.Decode(new byte[101]));

        Assert.Equal(ImageRejectionReason.TooManyBytes, rejected.Reason);
    }

    [Fact]
    public void GreyscalePngDecodesToOneBytePerPixel()
    {
        var image = _decoder.DecodeFile(SharedPdqVectors.PathOf("L-gray.png"));

        Assert.Equal(PdqPixelFormat.Gray8, image.Format);
        Assert.Equal((640, 402), (image.Width, image.Height));
    }

    [Fact]
    public void JpegDecodesToRgba()
    {
        var image = _decoder.DecodeFile(SharedPdqVectors.PathOf("jpeg-wee.jpg"));

        Assert.Equal(PdqPixelFormat.Rgba8888, image.Format);
        Assert.Equal((34, 42), (image.Width, image.Height));
    }

    // A minimal PNG: signature, IHDR (8-bit RGB), one IDAT, IEND, each chunk with a correct CRC.
    private static byte[] Png(int width, int height, byte[] idat)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", idat);
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    // PNG's CRC-32 (reflected, polynomial 0xEDB88320), bit by bit: a handful of bytes per test.
    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    private static byte[] Deflate(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        return output.ToArray();
    }
}
