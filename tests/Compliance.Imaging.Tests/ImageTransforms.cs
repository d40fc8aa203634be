using SkiaSharp;

namespace Compliance.Imaging.Tests;

/// <summary>One way a copy of a reference image is altered; produces encoded bytes, as an uploader would.</summary>
internal sealed record ImageTransform(string Name, string Description, Func<SKBitmap, byte[]> Apply)
{
    public override string ToString() => Name;
}

/// <summary>The alterations of the real-image evaluation (docs/image-matching.md), made with SkiaSharp.</summary>
internal static class ImageTransforms
{
    public static readonly IReadOnlyList<ImageTransform> All =
    [
        new("jpeg-q20", "re-encoded as JPEG at quality 20", source => Jpeg(source, 20)),
        new("resize-50", "resized to 50 % on each side (bilinear, mipmaps), PNG", source => Png(Resize(source, 0.5))),
        new("crop-10", "10 % cut off each of the four sides (the central 80 % × 80 % kept, 64 % of the area), PNG", source => Png(Crop(source, 0.10))),
        new("brightness+30", "every RGB value × 1.3, clamped, PNG", source => Png(Brighten(source, 1.3f))),
        new("mirror", "flipped left to right, PNG", source => Png(Draw(source, source.Width, source.Height, c => { c.Translate(source.Width, 0); c.Scale(-1, 1); }))),
        new("rotate-90", "rotated 90° clockwise, PNG", source => Png(Draw(source, source.Height, source.Width, c => { c.Translate(source.Height, 0); c.RotateDegrees(90); }))),
        new("watermark", "a 60 %-opaque white badge with a dark diagonal cross over 5 % of the area, bottom right, PNG", source => Png(Watermark(source, 0.05))),
    ];

    public static SKBitmap Load(string path) =>
        SKBitmap.Decode(path) ?? throw new InvalidOperationException($"SkiaSharp could not decode {path}.");

    public static byte[] Png(SKBitmap bitmap)
    {
        using (bitmap)
        {
            using var image = SKImage.FromBitmap(bitmap);
            return image.Encode(SKEncodedImageFormat.Png, 100).ToArray();
        }
    }

    private static byte[] Jpeg(SKBitmap source, int quality)
    {
        using var image = SKImage.FromBitmap(source);
        return image.Encode(SKEncodedImageFormat.Jpeg, quality).ToArray();
    }

    private static SKBitmap Resize(SKBitmap source, double factor) =>
        Draw(source, (int)Math.Round(source.Width * factor), (int)Math.Round(source.Height * factor), c => c.Scale((float)factor));

    private static SKBitmap Crop(SKBitmap source, double eachSide)
    {
        var dx = (int)Math.Round(source.Width * eachSide);
        var dy = (int)Math.Round(source.Height * eachSide);
        return Draw(source, source.Width - (2 * dx), source.Height - (2 * dy), c => c.Translate(-dx, -dy));
    }

    private static SKBitmap Brighten(SKBitmap source, float factor)
    {
        using var filter = SKColorFilter.CreateColorMatrix(
        [
            factor, 0, 0, 0, 0,
            0, factor, 0, 0, 0,
            0, 0, factor, 0, 0,
            0, 0, 0, 1, 0,
        ]);
        return Draw(source, source.Width, source.Height, _ => { }, filter);
    }

    private static SKBitmap Watermark(SKBitmap source, double areaFraction)
    {
        var result = Draw(source, source.Width, source.Height, _ => { });
        var width = (float)(source.Width * Math.Sqrt(areaFraction) * 1.6);
        var height = (float)(source.Width * source.Height * areaFraction / width);
        var rect = SKRect.Create(source.Width - width - (source.Width * 0.03f), source.Height - height - (source.Height * 0.03f), width, height);
        using var canvas = new SKCanvas(result);
        using var fill = new SKPaint { Color = new SKColor(255, 255, 255, 153), IsAntialias = true };
        using var ink = new SKPaint { Color = new SKColor(20, 20, 20, 200), IsAntialias = true, StrokeWidth = Math.Max(2, height / 10), Style = SKPaintStyle.Stroke };
        canvas.DrawRect(rect, fill);
        canvas.DrawLine(rect.Left, rect.Top, rect.Right, rect.Bottom, ink);
        canvas.DrawLine(rect.Left, rect.Bottom, rect.Right, rect.Top, ink);
        return result;
    }

    private static SKBitmap Draw(SKBitmap source, int width, int height, Action<SKCanvas> transform, SKColorFilter? filter = null)
    {
        var result = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(result);
        canvas.Clear(SKColors.Black);
        transform(canvas);
        using var image = SKImage.FromBitmap(source);
        using var paint = new SKPaint { ColorFilter = filter };
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        return result;
    }
}
