using Compliance.Imaging.Decoding;
using Compliance.Imaging.LocalFeatures;
using SkiaSharp;

namespace Compliance.ImageEvaluation;

/// <summary>
/// Extra references that no query contains, to grow a local-feature bank to a realistic size with real ORB descriptors
/// (random bits would make any descriptor index look perfect: a random descriptor is about 128 bits from everything).
/// Each is described as a reference is (<see cref="LocalFeatureExtractor.DescribeReference"/>) from a picture made
/// here, deterministically from its number: every other one is a random crop (25–100 % of each side, turned up to
/// ±30°, recoloured) of a spare photo that no evaluation query uses; the rest are random scenes of overlapping
/// turned rectangles, ellipses and strokes over a gradient with grain (no text: the screenshot transform draws text-like lines).
/// </summary>
public static class Distractors
{
    /// <summary>Photos of the test-image folder that are neither references, nor scenes, nor related to either.</summary>
    public static readonly string[] SparePhotos =
    [
        "faces/grace_hopper.jpg", "microaneurysms.png", "phantom.png", "color.png",
    ];

    /// <summary>The ORB features of distractor number <paramref name="index"/>.</summary>
    public static LocalFeatureSet Features(int index)
    {
        using var bitmap = Picture(index);
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return LocalFeatureExtractor.DescribeReference(new SafeImageDecoder().Decode(png.ToArray()));
    }

    /// <summary>The picture behind distractor number <paramref name="index"/> (owned by the caller).</summary>
    public static SKBitmap Picture(int index)
    {
        var random = new Random(1_000_003 * (index + 1));
        return index % 2 == 0 ? CropOfSpare(random, SparePhotos[(index / 2) % SparePhotos.Length]) : Scene(random);
    }

    private static SKBitmap CropOfSpare(Random random, string name)
    {
        using var photo = ImageTransforms.Load(TestImages.PathOf(name));
        var w = (int)(photo.Width * (0.25 + (0.75 * random.NextDouble())));
        var h = (int)(photo.Height * (0.25 + (0.75 * random.NextDouble())));
        var x = random.Next(photo.Width - w + 1);
        var y = random.Next(photo.Height - h + 1);
        var side = 300 + random.Next(500);
        var scale = (float)side / Math.Max(w, h);
        var bitmap = new SKBitmap(Math.Max(16, (int)(w * scale)), Math.Max(16, (int)(h * scale)));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.Black);
        canvas.RotateDegrees((float)((random.NextDouble() * 60) - 30), bitmap.Width / 2f, bitmap.Height / 2f);
        var hue = (float)random.NextDouble();
        using var paint = new SKPaint
        {
            ColorFilter = SKColorFilter.CreateColorMatrix(
            [
                0.6f + hue, 0.2f, 0.2f, 0, 0,
                0.2f, 1.4f - hue, 0.2f, 0, 0,
                0.2f, 0.2f, 0.8f + (hue / 2), 0, 0,
                0, 0, 0, 1, 0,
            ]),
        };
        using var source = SKImage.FromBitmap(photo);
        canvas.DrawImage(source, SKRect.Create(x, y, w, h), new SKRect(0, 0, bitmap.Width, bitmap.Height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        return bitmap;
    }

    private static SKBitmap Scene(Random random)
    {
        var bitmap = new SKBitmap(400 + random.Next(400), 300 + random.Next(400));
        using var canvas = new SKCanvas(bitmap);
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(bitmap.Width, bitmap.Height), [Colour(random), Colour(random)], SKShaderTileMode.Clamp))
        using (var background = new SKPaint { Shader = shader })
        {
            canvas.DrawRect(0, 0, bitmap.Width, bitmap.Height, background);
        }

        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < 25 + random.Next(40); i++)
        {
            paint.Color = Colour(random).WithAlpha((byte)(120 + random.Next(136)));
            paint.Style = random.Next(3) == 0 ? SKPaintStyle.Stroke : SKPaintStyle.Fill;
            paint.StrokeWidth = 1 + random.Next(8);
            switch (random.Next(3))
            {
                case 0:
                    var corner = Point(random, bitmap);
                    canvas.Save();
                    canvas.RotateDegrees(random.Next(360), corner.X, corner.Y);
                    canvas.DrawRect(corner.X, corner.Y, 5 + random.Next(bitmap.Width / 3), 5 + random.Next(bitmap.Height / 3), paint);
                    canvas.Restore();
                    break;
                case 1:
                    var centre = Point(random, bitmap);
                    canvas.DrawOval(centre, new SKSize(5 + random.Next(bitmap.Width / 4), 5 + random.Next(bitmap.Height / 4)), paint);
                    break;
                default:
                    canvas.DrawLine(Point(random, bitmap), Point(random, bitmap), paint);
                    break;
            }
        }

        // Grain, as a camera or an encoder leaves it.
        var pixels = bitmap.Pixels;
        for (var i = 0; i < pixels.Length; i++)
        {
            var c = pixels[i];
            var n = random.Next(-12, 13);
            pixels[i] = new SKColor(Clamp(c.Red + n), Clamp(c.Green + n), Clamp(c.Blue + n));
        }

        bitmap.Pixels = pixels;
        return bitmap;
    }

    private static SKPoint Point(Random random, SKBitmap bitmap) => new(random.Next(bitmap.Width), random.Next(bitmap.Height));

    private static SKColor Colour(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
