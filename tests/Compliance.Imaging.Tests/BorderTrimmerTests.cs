using Compliance.ImageEvaluation;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;
using SkiaSharp;

namespace Compliance.Imaging.Tests;

public sealed class BorderTrimmerTests
{
    private static readonly SafeImageDecoder Decoder = new();

    /// <summary>The photo drawn at (left, top) on a canvas of the given colour, encoded as JPEG (with its noise and ringing).</summary>
    private static (DecodedImage Image, SKRectI Photo) Padded(string name, int left, int top, int right, int bottom, SKColor colour, int quality = 80)
    {
        using var photo = ImageTransforms.Load(TestImages.PathOf(name));
        using var canvasBitmap = new SKBitmap(photo.Width + left + right, photo.Height + top + bottom);
        using (var canvas = new SKCanvas(canvasBitmap))
        {
            canvas.Clear(colour);
            using var image = SKImage.FromBitmap(photo);
            canvas.DrawImage(image, left, top, new SKSamplingOptions(SKFilterMode.Nearest));
        }

        using var encoded = SKImage.FromBitmap(canvasBitmap).Encode(SKEncodedImageFormat.Jpeg, quality);
        return (Decoder.Decode(encoded.ToArray()), SKRectI.Create(left, top, photo.Width, photo.Height));
    }

    [Theory]
    [InlineData(0, 80, 0, 80, "letterbox")]
    [InlineData(120, 0, 120, 0, "pillarbox")]
    [InlineData(40, 40, 40, 40, "window box")]
    [InlineData(10, 60, 30, 5, "uneven")]
    public void BlackBarsAreCutToWithinAFewPixelsOfThePhotoDespiteJpegNoise(int left, int top, int right, int bottom, string what)
    {
        var (image, photo) = Padded("coffee.png", left, top, right, bottom, SKColors.Black);

        var kept = BorderTrimmer.FindContent(image);

        const int Tolerance = 4;
        Assert.True(Math.Abs(kept.X - photo.Left) <= Tolerance, $"{what}: left {kept.X}, photo at {photo.Left}");
        Assert.True(Math.Abs(kept.Y - photo.Top) <= Tolerance, $"{what}: top {kept.Y}, photo at {photo.Top}");
        Assert.True(Math.Abs(kept.Right - photo.Right) <= Tolerance, $"{what}: right {kept.Right}, photo ends at {photo.Right}");
        Assert.True(Math.Abs(kept.Bottom - photo.Bottom) <= Tolerance, $"{what}: bottom {kept.Bottom}, photo ends at {photo.Bottom}");
    }

    [Fact]
    public void AWhiteBorderIsCutLikeABlackOne()
    {
        var (image, photo) = Padded("astronaut.png", 50, 50, 50, 50, SKColors.White, quality: 60);

        var trimmed = BorderTrimmer.Trim(image);

        Assert.True(trimmed.Trimmed);
        Assert.InRange(trimmed.Kept.X, photo.Left - 4, photo.Left + 4);
        Assert.InRange(trimmed.Image.Width, photo.Width - 8, photo.Width + 8);
        Assert.InRange(trimmed.Image.Height, photo.Height - 8, photo.Height + 8);
    }

    [Theory]
    [InlineData("chelsea.png")]
    [InlineData("coffee.png")]
    [InlineData("rocket.jpg")]
    public void APhotoWithoutBordersIsLeftWhole(string name)
    {
        var image = Decoder.DecodeFile(TestImages.PathOf(name));

        var trimmed = BorderTrimmer.Trim(image);

        Assert.False(trimmed.Trimmed, $"{name}: kept {trimmed.Kept}");
        Assert.Same(image, trimmed.Image);
    }

    [Fact]
    public void ABlankImageIsNotTrimmedAway()
    {
        var pixels = new byte[200 * 100];
        Array.Fill(pixels, (byte)17);
        var image = new DecodedImage(pixels, 200, 100, 200, PdqPixelFormat.Gray8);

        var kept = BorderTrimmer.FindContent(image);

        Assert.Equal(new PixelBox(0, 0, 200, 100), kept);
    }

    [Fact]
    public void ACropOfAReducedImageKeepsItsSourceScale()
    {
        var image = new DecodedImage(new byte[100 * 50], 100, 50, 100, PdqPixelFormat.Gray8) { SourceWidth = 400, SourceHeight = 200 };

        var crop = BorderTrimmer.Crop(image, new PixelBox(10, 5, 50, 20));

        Assert.Equal((200, 80), (crop.SourceWidth, crop.SourceHeight));
        Assert.Equal(new PixelBox(40, 20, 200, 80), BorderTrimmer.ToSource(image, new PixelBox(10, 5, 50, 20)));
    }
}
