using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;
using Compliance.Imaging.Pdq;
using SkiaSharp;

namespace Compliance.Imaging.Tests;

/// <summary>
/// A decoder with <see cref="SafeImageDecoder.MaxDecodedSide"/> hands classifiers a reduced copy of a large image
/// while PDQ still hashes the full-size pixels: the hash must not move at all, the copy must look like the image,
/// and the memory it takes must follow the bound, not the upload.
/// </summary>
public sealed class ReducedDecodeTests
{
    private static readonly SafeImageDecoder Whole = new();

    public static TheoryData<string> Formats => new() { "png", "jpeg", "webp", "gray-png" };

    [Fact]
    public void LargeImageComesBackAtTheBoundWithItsSourceSize()
    {
        var png = Encode(Upscaled("bridge-1-original.png", 3000, 1885), "png");

        var image = new SafeImageDecoder(maxDecodedSide: 1024).Decode(png);

        Assert.Equal((1024, 643), (image.Width, image.Height));
        Assert.Equal((3000, 1885), (image.SourceWidth, image.SourceHeight));
        Assert.True(image.IsReduced);
        Assert.Equal((512, 512), (image.PdqSample!.Width, image.PdqSample.Height));
    }

    [Fact]
    public void ImageWithinTheBoundIsDecodedWhole()
    {
        var image = new SafeImageDecoder(maxDecodedSide: 640).DecodeFile(SharedPdqVectors.PathOf("bridge-1-original.png"));

        Assert.Equal((640, 402), (image.Width, image.Height));
        Assert.False(image.IsReduced);
        Assert.Null(image.PdqSample);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void ReducedDecodeHashesBitForBitAsTheWholeDecode(string format)
    {
        var bytes = Encode(Upscaled(format == "gray-png" ? "L-gray.png" : "bridge-1-original.png", 2600, 1633), format);

        var whole = Whole.Decode(bytes);
        var reduced = new SafeImageDecoder(maxDecodedSide: 700).Decode(bytes);

        Assert.True(reduced.IsReduced);
        Assert.Equal(whole.Format, reduced.Format);
        var (expected, actual) = (PdqHasher.Hash(whole), PdqHasher.Hash(reduced));
        Assert.Equal(expected.Hash, actual.Hash);
        Assert.Equal(expected.Quality, actual.Quality);
        var (expectedVariants, actualVariants) = (PdqHasher.HashDihedral(whole), PdqHasher.HashDihedral(reduced));
        foreach (var variant in Enum.GetValues<PdqDihedral>())
        {
            Assert.Equal(expectedVariants[variant], actualVariants[variant]);
        }
    }

    public static TheoryData<string> Vectors()
    {
        var data = new TheoryData<string>();
        foreach (var row in SharedPdqVectors.Rows)
        {
            data.Add(row.File);
        }

        return data;
    }

    // The reference vectors are 640 px and smaller; a 300 px bound sends every one but the tiny JPEGs down the
    // reduced path (the same code that handles a 40-megapixel upload), so each must hash exactly as whole.
    [Theory]
    [MemberData(nameof(Vectors))]
    public void ReferenceVectorsHashExactlyTheSameThroughAReducedDecode(string file)
    {
        var expected = SharedPdqVectors.Row(file);
        var bytes = File.ReadAllBytes(SharedPdqVectors.PathOf(file));

        var whole = PdqHasher.Hash(Whole.Decode(bytes));
        var reduced = PdqHasher.Hash(new SafeImageDecoder(maxDecodedSide: 300).Decode(bytes));

        Assert.Equal(whole.Hash, reduced.Hash);
        Assert.Equal(whole.Quality, reduced.Quality);
        Assert.True(reduced.Hash.HammingDistance(expected.Hash) <= expected.MaxHammingDistance, $"{file}: {reduced.Hash.HammingDistance(expected.Hash)} bits from the reference.");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void ReducedPixelsLookLikeTheWholeImageScaledDown(string format)
    {
        var bytes = Encode(Upscaled(format == "gray-png" ? "L-gray.png" : "bridge-1-original.png", 2600, 1633), format);

        var reduced = new SafeImageDecoder(maxDecodedSide: 700).Decode(bytes);
        var whole = Whole.Decode(bytes);
        var expected = ScaleWhole(whole, reduced.Width, reduced.Height);

        // Band-by-band scaling differs from one scale of the whole only at band edges and in rounding.
        var pixels = reduced.Pixels.Span;
        double total = 0;
        for (var i = 0; i < pixels.Length; i++)
        {
            total += Math.Abs(pixels[i] - expected[i]);
        }

        var meanDifference = total / pixels.Length;
        Assert.True(meanDifference < 2.0, $"mean difference {meanDifference:0.00} levels per channel");
    }

    [Fact]
    public void EmbeddingOfAReducedImageMatchesTheWholeImage()
    {
        using var embedder = new VisualEmbedder();
        var bytes = Encode(Upscaled("bridge-1-original.png", 4000, 2512), "png");

        var whole = embedder.Embed(Whole.Decode(bytes));
        var reduced = embedder.Embed(new SafeImageDecoder(maxDecodedSide: 2048).Decode(bytes));

        var cosine = VisualEmbedder.Cosine(whole, reduced);
        Assert.True(cosine > 0.99f, $"cosine {cosine:0.0000}");
    }

    [Fact]
    public void TruncatedLargePngIsRejectedAsTruncated()
    {
        var png = Encode(Upscaled("bridge-1-original.png", 2600, 1633), "png");

        var rejected = Assert.Throws<ImageRejectedException>(() => new SafeImageDecoder(maxDecodedSide: 700).Decode(png.AsSpan(0, png.Length * 2 / 3)));

        Assert.Equal(ImageRejectionReason.Truncated, rejected.Reason);
    }

    // The route each format takes (ADR-024): 8-bit PNG through libvips strips, the same pixels PDQ would hash whole;
    // WebP (libvips decodes it whole too) and JPEG (Skia already streams it) are left to Skia.
    [Theory]
    [InlineData("png", true)]
    [InlineData("gray-png", true)]
    [InlineData("webp", false)]
    [InlineData("jpeg", false)]
    public void OnlyLargePngIsReducedFromLibvipsStrips(string format, bool streamed)
    {
        var bytes = Encode(Upscaled(format == "gray-png" ? "L-gray.png" : "bridge-1-original.png", 2600, 1633), format);
        var whole = Whole.Decode(bytes);
        var gray = whole.Format == PdqPixelFormat.Gray8;
        var target = new SKImageInfo(2600, 1633, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var encodedFormat = format switch { "webp" => SKEncodedImageFormat.Webp, "jpeg" => SKEncodedImageFormat.Jpeg, _ => SKEncodedImageFormat.Png };

        var reduced = VipsStripDecoder.TryDecodeReduced(bytes, bytes, encodedFormat, target, whole.Format, 700);

        Assert.Equal(streamed, reduced is not null);
        if (reduced is not null)
        {
            Assert.Equal((700, 440), (reduced.Width, reduced.Height));
            Assert.Equal(PdqHasher.Hash(whole).Hash, PdqHasher.Hash(reduced).Hash);
        }
    }

    // Uploads arrive as arrays, which libvips reads in place (ADR-024); a file it gives up on still gets SkiaSharp's verdict.
    [Fact]
    public void TruncatedLargePngGivenAsAnArrayIsRejectedAsTruncated()
    {
        var png = Encode(Upscaled("bridge-1-original.png", 2600, 1633), "png");

        var rejected = Assert.Throws<ImageRejectedException>(() => new SafeImageDecoder(maxDecodedSide: 700).Decode(png[..(png.Length * 2 / 3)]));

        Assert.Equal(ImageRejectionReason.Truncated, rejected.Reason);
    }

    // A PNG with real alpha: libvips hands back four bands, unpremultiplied like SkiaSharp's decode.
    [Fact]
    public void TranslucentLargePngHashesAndLooksAsTheWholeDecode()
    {
        using var bitmap = Upscaled("bridge-1-original.png", 2600, 1633);
        using var translucent = new SKBitmap(new SKImageInfo(2600, 1633, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var from = bitmap.GetPixelSpan();
        var to = translucent.GetPixelSpan();
        from.CopyTo(to);
        for (var i = 3; i < to.Length; i += 4)
        {
            to[i] = (byte)(64 + (i / 4 % 2600 * 191 / 2600));
        }

        byte[] png;
        using (var image = SKImage.FromBitmap(translucent))
        {
            png = image.Encode(SKEncodedImageFormat.Png, 90).ToArray();
        }

        var whole = Whole.Decode(png);
        var reduced = new SafeImageDecoder(maxDecodedSide: 700).Decode(png);

        Assert.Equal(PdqPixelFormat.Rgba8888, reduced.Format);
        Assert.Equal(PdqHasher.Hash(whole).Hash, PdqHasher.Hash(reduced).Hash);

        // Every pixel PDQ samples, alpha included, is the whole decode's pixel at that place.
        var sample = reduced.PdqSample!.Pixels.Span;
        var pixels = whole.Pixels.Span;
        for (var y = 0; y < 512; y++)
        {
            for (var x = 0; x < 512; x++)
            {
                var source = (PdqLuma.SourceIndex(y, 1633, 512) * whole.RowBytes) + (4 * PdqLuma.SourceIndex(x, 2600, 512));
                Assert.True(sample.Slice(4 * ((512 * y) + x), 4).SequenceEqual(pixels.Slice(source, 4)), $"sample pixel {x},{y}");
            }
        }
    }

    // JPEG is decoded row by row (Skia), PNG in strips by libvips (ADR-024). Either way only the reduced copy
    // (and PDQ's 1 MB sample) reaches the managed heap, where it would otherwise wait for a full GC.
    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    public void ReducedDecodeKeepsOnlyTheReducedCopyOnTheManagedHeap(string format)
    {
        // 24 megapixels: 96 MB as whole RGBA, about 11 MB reduced to 2048 px.
        var png = Encode(Upscaled("bridge-1-original.png", 6000, 4000), format);
        var reducing = new SafeImageDecoder(maxDecodedSide: 2048);
        _ = reducing.Decode(png); // JIT and Skia's first-use allocations out of the measurement

        var before = GC.GetAllocatedBytesForCurrentThread();
        var reduced = reducing.Decode(png);
        var reducedBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        var whole = Whole.Decode(png);
        var wholeBytes = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((2048, 1365), (reduced.Width, reduced.Height));
        Assert.True(wholeBytes >= 96_000_000, $"whole decode allocated {wholeBytes:N0} bytes");
        Assert.True(reducedBytes < 20_000_000, $"reduced decode allocated {reducedBytes:N0} bytes");
        GC.KeepAlive(whole);
    }

    private static SKBitmap Upscaled(string file, int width, int height)
    {
        using var source = SKBitmap.Decode(SharedPdqVectors.PathOf(file)) ?? throw new InvalidOperationException($"Could not decode {file}.");
        var info = new SKImageInfo(width, height, source.ColorType == SKColorType.Gray8 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
        return source.Resize(info, new SKSamplingOptions(SKCubicResampler.Mitchell)) ?? throw new InvalidOperationException("Resize failed.");
    }

    private static byte[] Encode(SKBitmap bitmap, string format)
    {
        using (bitmap)
        {
            using var image = SKImage.FromBitmap(bitmap);
            return image.Encode(format == "jpeg" ? SKEncodedImageFormat.Jpeg : format == "webp" ? SKEncodedImageFormat.Webp : SKEncodedImageFormat.Png, 90).ToArray();
        }
    }

    private static byte[] ScaleWhole(DecodedImage whole, int width, int height)
    {
        var gray = whole.Format == PdqPixelFormat.Gray8;
        var (colorType, alphaType) = gray ? (SKColorType.Gray8, SKAlphaType.Opaque) : (SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var from = new SKBitmap(new SKImageInfo(whole.Width, whole.Height, colorType, alphaType));
        whole.Pixels.Span.CopyTo(from.GetPixelSpan());
        using var to = new SKBitmap(new SKImageInfo(width, height, colorType, alphaType));
        Assert.True(from.ScalePixels(to, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)));
        return to.GetPixelSpan().ToArray();
    }
}
