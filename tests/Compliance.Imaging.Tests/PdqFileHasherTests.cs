using Compliance.Imaging.Decoding;

namespace Compliance.Imaging.Tests;

/// <summary>The CLI's libvips path: the reference's bits on every vector, and the same refusals as the upload decoder.</summary>
public sealed class PdqFileHasherTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pdq-file-hasher-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [MemberData(nameof(PdqReferenceVectorTests.Files), MemberType = typeof(PdqReferenceVectorTests))]
    public void LibvipsPathHashesEveryVectorToTheReferenceBits(string file)
    {
        var hasher = new PdqFileHasher(new SafeImageDecoder());
        var expected = SharedPdqVectors.Row(file);

        Assert.NotNull(hasher.Decode(SharedPdqVectors.PathOf(file), includePng: true));
        var actual = hasher.Hash(SharedPdqVectors.PathOf(file));

        Assert.Equal(expected.Hash, actual.Hash);
        Assert.Equal(expected.Quality, actual.Quality);
    }

    [Theory]
    [InlineData("bridge-1-original.png")]
    [InlineData("jpeg-bridge-1-original.jpg")]
    public void TruncatedFileIsRejected(string file)
    {
        var bytes = File.ReadAllBytes(SharedPdqVectors.PathOf(file));
        var path = Write(Path.GetExtension(file), bytes.AsSpan(0, bytes.Length / 2));

        var rejected = Assert.Throws<ImageRejectedException>(() => new PdqFileHasher(new SafeImageDecoder()).Hash(path));

        Assert.Contains(rejected.Reason, new[] { ImageRejectionReason.Truncated, ImageRejectionReason.Corrupt });
    }

    [Fact]
    public void HeaderOverThePixelLimitIsRejectedBeforeDecoding()
    {
        var hasher = new PdqFileHasher(new SafeImageDecoder(maxPixels: 640 * 402 - 1));

        var rejected = Assert.Throws<ImageRejectedException>(() => hasher.Hash(SharedPdqVectors.PathOf("bridge-1-original.png")));

        Assert.Equal(ImageRejectionReason.TooLarge, rejected.Reason);
    }

    [Fact]
    public void FileOverTheByteLimitIsRejectedBeforeReading()
    {
        var hasher = new PdqFileHasher(new SafeImageDecoder(maxEncodedBytes: 1000));

        var rejected = Assert.Throws<ImageRejectedException>(() => hasher.Hash(SharedPdqVectors.PathOf("bridge-1-original.png")));

        Assert.Equal(ImageRejectionReason.TooManyBytes, rejected.Reason);
    }

    // libvips would happily load these (SVG, PPM); only the sniffed PNG, JPEG and WebP reach it, the rest go to SkiaSharp.
    [Theory]
    [InlineData(".svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"><rect width=\"64\" height=\"64\"/></svg>")]
    [InlineData(".ppm", "P3\n2 2\n255\n0 0 0 255 255 255 0 0 0 255 255 255\n")]
    [InlineData(".png", "not a png at all")]
    public void BytesThatAreNotPngJpegOrWebpNeverReachLibvips(string extension, string content)
    {
        var path = Write(extension, System.Text.Encoding.ASCII.GetBytes(content));
        var hasher = new PdqFileHasher(new SafeImageDecoder());

        Assert.Null(hasher.Decode(path, includePng: true));
        var rejected = Assert.Throws<ImageRejectedException>(() => hasher.Hash(path));
        Assert.Contains(rejected.Reason, new[] { ImageRejectionReason.UnrecognisedFormat, ImageRejectionReason.Truncated });
    }

    [Fact]
    public void BufferIsReusedAcrossFilesAndResultsDoNotBleed()
    {
        var hasher = new PdqFileHasher(new SafeImageDecoder());
        var large = SharedPdqVectors.Row("jpeg-bridge-1-original.jpg");
        var small = SharedPdqVectors.Row("jpeg-wee.jpg");

        var first = hasher.Hash(SharedPdqVectors.PathOf(large.File));
        var second = hasher.Hash(SharedPdqVectors.PathOf(small.File));
        var third = hasher.Hash(SharedPdqVectors.PathOf(large.File));

        Assert.Equal((large.Hash, small.Hash, large.Hash), (first.Hash, second.Hash, third.Hash));
    }

    private string Write(string extension, ReadOnlySpan<byte> bytes)
    {
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + extension);
        File.WriteAllBytes(path, bytes.ToArray());
        return path;
    }
}
