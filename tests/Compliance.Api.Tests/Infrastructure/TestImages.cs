using System.Buffers.Binary;
using System.IO.Compression;
using System.Net.Http.Headers;
using Compliance.Storage.Local;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>
/// Real photographs for image tests: the PDQ reference vectors in <c>../shared/pdq</c> (the "bridge"
/// photo and its rotated, mirrored, blurred and re-encoded copies, plus unrelated photos).
/// </summary>
internal static class TestImages
{
    public static string Folder { get; } = Path.GetFullPath(Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, "..", "shared", "pdq"));

    public static byte[] Read(string name)
    {
        var path = Path.Combine(Folder, name);
        return File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"Test image {path} is missing: the tests expect ../shared beside the checkout.", path);
    }

    /// <summary>The expected PDQ hash of a vector image, from expected.csv.</summary>
    public static string ExpectedHash(string name) =>
        File.ReadLines(Path.Combine(Folder, "expected.csv")).Select(l => l.Split(',')).First(p => p[0] == name)[1];

    public static MultipartFormDataContent Form(byte[] bytes, string fileName = "upload.bin", params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    /// <summary>A valid PNG whose header declares <paramref name="width"/>×<paramref name="height"/> pixels but carries almost no data: a decompression bomb's shape.</summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        Chunk(png, "IHDR", ihdr);
        using var deflated = new MemoryStream();
        using (var z = new ZLibStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(new byte[1 + (3 * 16)]);
        }

        Chunk(png, "IDAT", deflated.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(u32, data.Length);
        png.Write(u32);
        var typeAndData = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc32(typeAndData));
        png.Write(u32);
    }

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
}
