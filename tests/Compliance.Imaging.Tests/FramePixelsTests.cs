using Compliance.ImageEvaluation;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;

namespace Compliance.Imaging.Tests;

/// <summary>
/// Video frames reach the classifiers widened from packed RGB to RGBA once (ADR-035), and each image is trimmed once:
/// neither may change a hash, a trim or an embedding.
/// </summary>
public sealed class FramePixelsTests(VisualEmbedderTests.Model model) : IClassFixture<VisualEmbedderTests.Model>
{
    private static readonly SafeImageDecoder Decoder = new();

    [Theory]
    [InlineData(1, 1, 3)]
    [InlineData(5, 3, 15)]
    [InlineData(7, 2, 24)]
    [InlineData(17, 4, 51)]
    [InlineData(1281, 3, 3845)]
    public void WideningKeepsEveryChannelByteAndMakesAlphaOpaque(int width, int height, int rowBytes)
    {
        var rgb = new byte[rowBytes * height];
        new Random(width).NextBytes(rgb);

        var rgba = RgbWidening.ToRgba(rgb, width, height, rowBytes);

        Assert.Equal(PdqPixelFormat.Rgba8888, rgba.Format);
        Assert.Equal(width * 4, rgba.RowBytes);
        var pixels = rgba.Pixels.Span;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    Assert.Equal(rgb[(y * rowBytes) + (x * 3) + c], pixels[(y * width * 4) + (x * 4) + c]);
                }

                Assert.Equal(255, pixels[(y * width * 4) + (x * 4) + 3]);
            }
        }
    }

    [Fact]
    public void WideningRefusesABufferShorterThanTheImage()
    {
        Assert.Throws<ArgumentException>(() => RgbWidening.ToRgba(new byte[10], 2, 2, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => RgbWidening.ToRgba(new byte[12], 2, 2, 5));
    }

    [Theory]
    [InlineData("astronaut.png")]
    [InlineData("coffee.png")]
    [InlineData("page.png")]
    public void AWidenedFrameHashesTrimsAndEmbedsExactlyAsItsPackedRgb(string name)
    {
        var packed = Packed(Letterboxed(Decoder.DecodeFile(TestImages.PathOf(name))));
        var widened = RgbWidening.ToRgba(packed.Pixels.Span, packed.Width, packed.Height, packed.RowBytes);

        var fromPacked = PdqHasher.HashDihedral(packed);
        var fromWidened = PdqHasher.HashDihedral(widened);
        Assert.Equal(fromPacked.Quality, fromWidened.Quality);
        foreach (var variant in Enum.GetValues<PdqDihedral>())
        {
            Assert.Equal(fromPacked[variant], fromWidened[variant]);
        }

        var trimmedPacked = BorderTrimmer.Trim(packed);
        var trimmedWidened = BorderTrimmer.Trim(widened);
        Assert.True(trimmedWidened.Trimmed);
        Assert.Equal(trimmedPacked.Kept, trimmedWidened.Kept);
        Assert.Equal(PdqHasher.Hash(trimmedPacked.Image).Hash, PdqHasher.Hash(trimmedWidened.Image).Hash);
        Assert.Equal(model.Embedder.Embed(trimmedPacked.Image), model.Embedder.Embed(trimmedWidened.Image));
    }

    [Fact]
    public void AnImageIsTrimmedOnceAndEveryLaterCallGetsThatAnswer()
    {
        var image = Letterboxed(Decoder.DecodeFile(TestImages.PathOf("chelsea.png")));

        var first = BorderTrimmer.Trim(image);
        var second = BorderTrimmer.Trim(image);
        var afresh = BorderTrimmer.Trim(new DecodedImage(image.Pixels, image.Width, image.Height, image.RowBytes, image.Format));

        Assert.True(first.Trimmed);
        Assert.Same(first, second);
        Assert.NotSame(first, afresh);
        Assert.Equal(first.Kept, afresh.Kept);
        Assert.Equal(first.Image.Pixels.ToArray(), afresh.Image.Pixels.ToArray());
    }

    /// <summary>The image between black bars 40 px high, so the trimmer has something to cut.</summary>
    private static DecodedImage Letterboxed(DecodedImage image)
    {
        const int Bar = 40;
        var bpp = PdqHasher.BytesPerPixel(image.Format);
        var rowBytes = image.Width * bpp;
        var pixels = new byte[rowBytes * (image.Height + (2 * Bar))];
        for (var y = 0; y < image.Height; y++)
        {
            image.Pixels.Span.Slice(y * image.RowBytes, rowBytes).CopyTo(pixels.AsSpan((y + Bar) * rowBytes));
        }

        if (image.Format is PdqPixelFormat.Rgba8888 or PdqPixelFormat.Bgra8888)
        {
            for (var y = 0; y < image.Height + (2 * Bar); y++)
            {
                for (var x = 0; x < image.Width; x++)
                {
                    pixels[(y * rowBytes) + (x * 4) + 3] = 255;
                }
            }
        }

        return new DecodedImage(pixels, image.Width, image.Height + (2 * Bar), rowBytes, image.Format);
    }

    /// <summary>The image as packed RGB, the layout ffmpeg hands frames out in.</summary>
    private static DecodedImage Packed(DecodedImage image)
    {
        var bpp = PdqHasher.BytesPerPixel(image.Format);
        var packed = new byte[image.Width * image.Height * 3];
        var source = image.Pixels.Span;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var at = (y * image.RowBytes) + (x * bpp);
                for (var c = 0; c < 3; c++)
                {
                    packed[(((y * image.Width) + x) * 3) + c] = image.Format switch
                    {
                        PdqPixelFormat.Gray8 => source[at],
                        PdqPixelFormat.Bgra8888 => source[at + 2 - c],
                        _ => source[at + c],
                    };
                }
            }
        }

        return new DecodedImage(packed, image.Width, image.Height, image.Width * 3, PdqPixelFormat.Rgb888);
    }
}
