using SkiaSharp;

namespace Compliance.ImageEvaluation;

/// <summary>
/// One way a copy of a reference image is altered; produces encoded bytes, as an uploader would. Transforms that
/// paste the copy into a larger picture take that picture as <c>scene</c>; the others ignore it.
/// </summary>
public sealed record ImageTransform(string Name, string Description, Func<SKBitmap, SKBitmap, byte[]> Apply)
{
    /// <summary>True for the transforms that put the reference into only part of a larger, unrelated picture.</summary>
    public bool Partial { get; init; }

    public override string ToString() => Name;
}

/// <summary>The alterations of the real-image evaluations (docs/image-matching.md, docs/evaluation.md), made with SkiaSharp.</summary>
public static class ImageTransforms
{
    /// <summary>The first evaluation's seven: re-encoding, scale, a mild crop, brightness, dihedral turns, a watermark.</summary>
    public static readonly IReadOnlyList<ImageTransform> All =
    [
        new("jpeg-q20", "re-encoded as JPEG at quality 20", (source, _) => Jpeg(source, 20)),
        new("resize-50", "resized to 50 % on each side (bilinear, mipmaps), PNG", (source, _) => Png(Resize(source, 0.5))),
        new("crop-10", "10 % cut off each of the four sides (the central 80 % × 80 % kept, 64 % of the area), PNG", (source, _) => Png(Crop(source, 0.10))),
        new("brightness+30", "every RGB value × 1.3, clamped, PNG", (source, _) => Png(Brighten(source, 1.3f))),
        new("mirror", "flipped left to right, PNG", (source, _) => Png(Draw(source, source.Width, source.Height, c => { c.Translate(source.Width, 0); c.Scale(-1, 1); }))),
        new("rotate-90", "rotated 90° clockwise, PNG", (source, _) => Png(Draw(source, source.Height, source.Width, c => { c.Translate(source.Height, 0); c.RotateDegrees(90); }))),
        new("watermark", "a 60 %-opaque white badge with a dark diagonal cross over 5 % of the area, bottom right, PNG", (source, _) => Png(Watermark(source, 0.05))),
    ];

    /// <summary>
    /// Issue 10's gaps: padding, small rotations, greyscale with a crop, and partial copies (the reference as part of a
    /// larger picture), each as a frame or screenshot would carry it (JPEG).
    /// </summary>
    public static readonly IReadOnlyList<ImageTransform> Extended =
    [
        new("letterbox", "black bars above and below (the picture 1.4 times as tall), JPEG q85", (source, _) => Owned(Pad(source, 0, 0.2, SKColors.Black), 85)),
        new("pillarbox", "black bars left and right (the picture 1.5 times as wide), JPEG q85", (source, _) => Owned(Pad(source, 0.25, 0, SKColors.Black), 85)),
        new("border", "a white border of 8 % of the width on every side, JPEG q70", (source, _) => Owned(Pad(source, 0.08, 0.08 * source.Width / source.Height, SKColors.White), 70)),
        new("rotate+8", "rotated 8° clockwise about the centre on the same canvas (black corners, the rest cut), JPEG q85", (source, _) => Owned(Rotate(source, 8), 85)),
        new("rotate-12", "rotated 12° anticlockwise about the centre on the same canvas (black corners, the rest cut), JPEG q85", (source, _) => Owned(Rotate(source, -12), 85)),
        new("grey+crop", "greyscale, and 10 % cut off each side, JPEG q85", (source, _) => Owned(Grey(Crop(source, 0.10)), 85)),
        new("paste-60", "scaled to 60 % of the area of a larger unrelated 16:9 picture and pasted in its middle, JPEG q85", (source, scene) => Owned(Paste(source, scene, 0.60, 0.5f, 0.5f, frame: false), 85)) { Partial = true },
        new("paste-40", "scaled to 40 % of the area of a larger unrelated 16:9 picture and pasted towards its top left, JPEG q85", (source, scene) => Owned(Paste(source, scene, 0.40, 0.15f, 0.2f, frame: false), 85)) { Partial = true },
        new("pip-30", "picture-in-picture: 30 % of the area, with a thin white frame, in the bottom-right corner of an unrelated 16:9 picture, JPEG q85", (source, scene) => Owned(Paste(source, scene, 0.30, 0.95f, 0.92f, frame: true), 85)) { Partial = true },
        new("screenshot", "a screenshot: 45 % of a light-grey window with a dark title bar, a side panel and text lines, PNG", (source, _) => Png(Screenshot(source, 0.45))) { Partial = true },
    ];

    /// <summary>Every transform of the extended evaluation.</summary>
    public static IReadOnlyList<ImageTransform> Everything { get; } = [.. All, .. Extended];

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

    private static byte[] Owned(SKBitmap made, int quality)
    {
        using (made)
        {
            return Jpeg(made, quality);
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

    private static SKBitmap Grey(SKBitmap source)
    {
        using (source)
        {
            using var filter = SKColorFilter.CreateColorMatrix(
            [
                0.299f, 0.587f, 0.114f, 0, 0,
                0.299f, 0.587f, 0.114f, 0, 0,
                0.299f, 0.587f, 0.114f, 0, 0,
                0, 0, 0, 1, 0,
            ]);
            return Draw(source, source.Width, source.Height, _ => { }, filter);
        }
    }

    private static SKBitmap Pad(SKBitmap source, double eachSideX, double eachSideY, SKColor colour)
    {
        var dx = (int)Math.Round(source.Width * eachSideX);
        var dy = (int)Math.Round(source.Height * eachSideY);
        return Draw(source, source.Width + (2 * dx), source.Height + (2 * dy), c => c.Translate(dx, dy), background: colour);
    }

    private static SKBitmap Rotate(SKBitmap source, float degrees) =>
        Draw(source, source.Width, source.Height, c => c.RotateDegrees(degrees, source.Width / 2f, source.Height / 2f));

    /// <summary>
    /// The reference scaled to <paramref name="share"/> of a 16:9 canvas's area (keeping its aspect), its centre at
    /// (<paramref name="fx"/>, <paramref name="fy"/>) of the free room, over the scene stretched to fill the canvas.
    /// </summary>
    private static SKBitmap Paste(SKBitmap source, SKBitmap scene, double share, float fx, float fy, bool frame)
    {
        const int CanvasWidth = 1280, CanvasHeight = 720;
        var scale = Math.Sqrt(share * CanvasWidth * CanvasHeight / ((double)source.Width * source.Height));
        var width = (float)Math.Min(CanvasWidth * 0.98, source.Width * scale);
        var height = (float)Math.Min(CanvasHeight * 0.98, source.Height * scale);
        // Keep the aspect when a side had to be clamped.
        var fit = Math.Min(width / source.Width, height / source.Height);
        (width, height) = (source.Width * fit, source.Height * fit);
        var left = (CanvasWidth - width) * fx;
        var top = (CanvasHeight - height) * fy;

        var result = new SKBitmap(new SKImageInfo(CanvasWidth, CanvasHeight, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(result);
        var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        using (var background = SKImage.FromBitmap(scene))
        {
            canvas.DrawImage(background, new SKRect(0, 0, CanvasWidth, CanvasHeight), sampling);
        }

        var target = SKRect.Create(left, top, width, height);
        if (frame)
        {
            using var white = new SKPaint { Color = SKColors.White };
            canvas.DrawRect(SKRect.Inflate(target, 4, 4), white);
        }

        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, target, sampling);
        return result;
    }

    /// <summary>A desktop-like window: title bar, side panel and text lines around the reference, which takes <paramref name="share"/> of it.</summary>
    private static SKBitmap Screenshot(SKBitmap source, double share)
    {
        var scale = Math.Sqrt(share * 1280 * 800 / ((double)source.Width * source.Height));
        var width = (float)(source.Width * scale);
        var height = (float)(source.Height * scale);
        var canvasWidth = (int)Math.Max(1280, width + 320);
        var canvasHeight = (int)Math.Max(800, height + 140);
        var result = new SKBitmap(new SKImageInfo(canvasWidth, canvasHeight, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(result);
        canvas.Clear(new SKColor(236, 236, 236));
        using var bar = new SKPaint { Color = new SKColor(40, 44, 52) };
        using var panel = new SKPaint { Color = new SKColor(210, 214, 220) };
        using var ink = new SKPaint { Color = new SKColor(90, 90, 90) };
        using var accent = new SKPaint { Color = new SKColor(30, 120, 220) };
        canvas.DrawRect(0, 0, canvasWidth, 48, bar);
        canvas.DrawRect(0, 48, 240, canvasHeight - 48, panel);
        for (var i = 0; i < 12; i++)
        {
            canvas.DrawRect(24, 80 + (i * 36), 120 + ((i * 37) % 80), 10, ink);
        }

        canvas.DrawCircle(20, 24, 8, accent);
        var left = 240 + ((canvasWidth - 240 - width) / 2);
        var top = 48 + 16f;
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, SKRect.Create(left, top, width, height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        for (var i = 0; i < 3; i++)
        {
            canvas.DrawRect(left, top + height + 20 + (i * 20), width * (0.9f - (i * 0.2f)), 8, ink);
        }

        return result;
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

    private static SKBitmap Draw(SKBitmap source, int width, int height, Action<SKCanvas> transform, SKColorFilter? filter = null, SKColor? background = null)
    {
        var result = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(result);
        canvas.Clear(background ?? SKColors.Black);
        transform(canvas);
        using var image = SKImage.FromBitmap(source);
        using var paint = new SKPaint { ColorFilter = filter };
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        return result;
    }
}
