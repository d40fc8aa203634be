using Compliance.Imaging.Decoding;
using SkiaSharp;

namespace Compliance.Faces.Tests;

/// <summary>One edit a platform's user might make to a photo before it reaches a generator or an upload.</summary>
public sealed record PhotoTransform(string Name, Func<SKImage, byte[]> Apply)
{
    public override string ToString() => Name;
}

/// <summary>Real-photo edits for the same-person case, drawn with SkiaSharp and re-encoded.</summary>
public static class PhotoTransforms
{
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    public static IReadOnlyList<PhotoTransform> All { get; } =
    [
        new("jpeg q30", s => EncodeBorrowed(s, SKEncodedImageFormat.Jpeg, 30)),
        new("resize 60%", s => PngOwned(Draw(s, Scaled(s, 0.6f), (c, _) => c.Scale(0.6f)))),
        new("brightness +20%", s => PngOwned(Draw(s, s.Info.Size, (c, p) => p.ColorFilter = Brightness(1.2f)))),
        new("brightness -20%", s => PngOwned(Draw(s, s.Info.Size, (c, p) => p.ColorFilter = Brightness(0.8f)))),
        new("mirror", s => PngOwned(Draw(s, s.Info.Size, (c, _) => c.Scale(-1, 1, s.Width / 2f, 0)))),
        new("rotate 10°", s => PngOwned(Draw(s, s.Info.Size, (c, _) => c.RotateDegrees(10, s.Width / 2f, s.Height / 2f)))),
        new("rotate -10°", s => PngOwned(Draw(s, s.Info.Size, (c, _) => c.RotateDegrees(-10, s.Width / 2f, s.Height / 2f)))),
        new("crop 15% each side", s => PngOwned(Crop(s, 0.15f))),
        new("resize 40% + jpeg q50", s => Encode(Draw(s, Scaled(s, 0.4f), (c, _) => c.Scale(0.4f)), SKEncodedImageFormat.Jpeg, 50)),
        new("mirror + rotate 10° + brightness +20% + jpeg q30", s => Encode(
            Draw(s, s.Info.Size, (c, p) =>
            {
                c.Scale(-1, 1, s.Width / 2f, 0);
                c.RotateDegrees(10, s.Width / 2f, s.Height / 2f);
                p.ColorFilter = Brightness(1.2f);
            }),
            SKEncodedImageFormat.Jpeg,
            30)),
    ];

    public static PhotoTransform Named(string name) => All.Single(t => t.Name == name);

    public static SKImage ToSkImage(DecodedImage image) => FaceRaster.ToSkImage(image);

    /// <summary>A sub-rectangle of the photo as a new image (for taking one person out of a group photo).</summary>
    public static SKImage Region(SKImage source, SKRectI rect) => source.Subset(rect) ?? throw new ArgumentException("Empty region.", nameof(rect));

    /// <summary>The photo scaled by <paramref name="factor"/>, PNG-encoded.</summary>
    public static byte[] Resized(SKImage source, float factor) => PngOwned(Draw(source, Scaled(source, factor), (c, _) => c.Scale(factor)));

    /// <summary>PNG bytes of an image the caller keeps.</summary>
    /// <summary>The photo with a Gaussian blur of <paramref name="sigma"/> pixels, PNG-encoded.</summary>
    public static byte[] Blurred(SKImage source, float sigma) =>
        PngOwned(Draw(source, source.Info.Size, (_, p) => p.ImageFilter = SKImageFilter.CreateBlur(sigma, sigma)));

    public static byte[] Png(SKImage image) => EncodeBorrowed(image, SKEncodedImageFormat.Png, 100);

    private static byte[] PngOwned(SKImage image) => Encode(image, SKEncodedImageFormat.Png, 100);

    private static SKSizeI Scaled(SKImage s, float factor) => new((int)MathF.Round(s.Width * factor), (int)MathF.Round(s.Height * factor));

    private static SKImage Draw(SKImage source, SKSizeI size, Action<SKCanvas, SKPaint> setUp)
    {
        using var surface = SKSurface.Create(new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.Black);
        using var paint = new SKPaint();
        setUp(canvas, paint);
        canvas.DrawImage(source, 0, 0, Sampling, paint);
        return surface.Snapshot();
    }

    private static SKImage Crop(SKImage source, float fraction)
    {
        var dx = (int)(source.Width * fraction);
        var dy = (int)(source.Height * fraction);
        return Region(source, new SKRectI(dx, dy, source.Width - dx, source.Height - dy));
    }

    private static SKColorFilter Brightness(float factor) => SKColorFilter.CreateColorMatrix(
    [
        factor, 0, 0, 0, 0,
        0, factor, 0, 0, 0,
        0, 0, factor, 0, 0,
        0, 0, 0, 1, 0,
    ]);

    /// <summary>Encodes and disposes an intermediate image.</summary>
    private static byte[] Encode(SKImage image, SKEncodedImageFormat format, int quality)
    {
        using (image)
        {
            return EncodeBorrowed(image, format, quality);
        }
    }

    private static byte[] EncodeBorrowed(SKImage image, SKEncodedImageFormat format, int quality)
    {
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }
}
