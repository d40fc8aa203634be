using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SkiaSharp;

namespace Compliance.Generation.Generators;

/// <summary>An asset ready to draw: its decoded image (or caption text) and the frames [First, End) that show it.</summary>
internal sealed record PlacedAsset(StoryboardAsset Asset, SKImage? Image, int FirstFrame, int EndFrame)
{
    public bool IsShownIn(int frame) => frame >= FirstFrame && frame < EndFrame;
}

/// <summary>
/// Draws storyboard frames with SkiaSharp on the CPU. Everything a frame shows is a function of the seed, the scene
/// text, the scene index, the frame number and the assets, so the same request draws the same pixels. A scene's look
/// (two gradient colours, a handful of shapes and their paths) comes from HKDF-SHA256 over the seed and the scene
/// text rather than from <see cref="Random"/>, whose seeded sequence .NET does not promise to keep across versions.
/// Not thread-safe: one renderer per generation.
/// </summary>
internal sealed class StoryboardRenderer : IDisposable
{
    internal const string Version = "storyboard-1";
    private const int ShapeBytes = 10;
    private const int MaxShapes = 6;
    private const int CaptionLines = 3;

    private readonly int _width;
    private readonly int _height;
    private readonly SKTypeface _typeface;
    private readonly IReadOnlyList<StoryboardScene> _scenes;
    private readonly IReadOnlyList<PlacedAsset> _assets;
    private readonly SceneLook[] _looks;
    private readonly SKPaint _fill = new() { IsAntialias = true, Style = SKPaintStyle.Fill };
    private readonly SKPaint _stroke = new() { IsAntialias = true, Style = SKPaintStyle.Stroke, Color = SKColors.Black };
    private readonly SKSamplingOptions _sampling = new(SKCubicResampler.Mitchell);

    public StoryboardRenderer(int width, int height, long seed, SKTypeface typeface,
        IReadOnlyList<StoryboardScene> scenes, IReadOnlyList<PlacedAsset> assets)
    {
        _width = width;
        _height = height;
        _typeface = typeface;
        _scenes = scenes;
        _assets = assets;
        _looks = [.. scenes.Select(s => SceneLook.Derive(seed, s))];
        Bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        Canvas = new SKCanvas(Bitmap);
    }

    /// <summary>The frame last drawn, as packed RGBA (opaque, so premultiplied equals straight alpha).</summary>
    public SKBitmap Bitmap { get; }

    private SKCanvas Canvas { get; }

    public void Draw(int frame)
    {
        var scene = _scenes.Last(s => s.FirstFrame <= frame);
        var look = _looks[scene.Index];
        var progress = scene.FrameCount <= 1 ? 0f : (float)(frame - scene.FirstFrame) / (scene.FrameCount - 1);

        DrawBackground(look, progress);
        foreach (var shape in look.Shapes)
        {
            DrawShape(shape, progress);
        }

        DrawSceneCaption(scene.Text);
        foreach (var placed in _assets)
        {
            if (placed.IsShownIn(frame))
            {
                DrawAsset(placed);
            }
        }

        Canvas.Flush();
    }

    private void DrawBackground(SceneLook look, float progress)
    {
        // The gradient turns slowly within a scene so consecutive frames differ, as video frames do.
        var angle = look.Angle + (progress * MathF.PI / 4);
        var cx = _width / 2f;
        var cy = _height / 2f;
        var reach = MathF.Max(_width, _height) / 2f;
        var start = new SKPoint(cx - (MathF.Cos(angle) * reach), cy - (MathF.Sin(angle) * reach));
        var end = new SKPoint(cx + (MathF.Cos(angle) * reach), cy + (MathF.Sin(angle) * reach));
        using var shader = SKShader.CreateLinearGradient(start, end, [look.From, look.To], SKShaderTileMode.Clamp);
        _fill.Shader = shader;
        Canvas.DrawRect(0, 0, _width, _height, _fill);
        _fill.Shader = null;
    }

    private void DrawShape(Shape shape, float progress)
    {
        var x = (shape.X0 + ((shape.X1 - shape.X0) * progress)) * _width;
        var y = (shape.Y0 + ((shape.Y1 - shape.Y0) * progress)) * _height;
        var r = shape.Radius * Math.Min(_width, _height);
        _fill.Color = shape.Color;
        if (shape.IsCircle)
        {
            Canvas.DrawCircle(x, y, r, _fill);
        }
        else
        {
            Canvas.DrawRoundRect(x - r, y - r, 2 * r, 2 * r, r / 5, r / 5, _fill);
        }
    }

    private void DrawSceneCaption(string text)
    {
        using var font = new SKFont(_typeface, Math.Max(8f, _height / 18f)) { Edging = SKFontEdging.Antialias };
        var lines = Wrap(text, font, _width * 0.9f);
        if (lines.Count == 0)
        {
            return;
        }

        var lineHeight = font.Spacing;
        var top = _height - (lineHeight * lines.Count) - (_height * 0.04f);
        _fill.Color = new SKColor(0, 0, 0, 150);
        Canvas.DrawRect(0, top - (lineHeight * 0.25f), _width, (lineHeight * (lines.Count + 0.5f)), _fill);
        _fill.Color = SKColors.White;
        for (var i = 0; i < lines.Count; i++)
        {
            Canvas.DrawText(lines[i], _width / 2f, top + (lineHeight * (i + 0.8f)), SKTextAlign.Center, font, _fill);
        }
    }

    private void DrawAsset(PlacedAsset placed)
    {
        var asset = placed.Asset;
        var cx = (float)(asset.CenterX * _width);
        var cy = (float)(asset.CenterY * _height);
        if (placed.Image is { } image)
        {
            var h = (float)(asset.Height * _height);
            var w = h * image.Width / image.Height;
            Canvas.DrawImage(image, SKRect.Create(cx - (w / 2), cy - (h / 2), w, h), _sampling, paint: null);
            return;
        }

        using var font = new SKFont(_typeface, (float)(asset.Height * _height)) { Edging = SKFontEdging.Antialias };
        var baseline = cy + (font.Size * 0.35f);
        _stroke.StrokeWidth = Math.Max(1f, font.Size / 12f);
        Canvas.DrawText(asset.Text!, cx, baseline, SKTextAlign.Center, font, _stroke);
        _fill.Color = SKColors.White;
        Canvas.DrawText(asset.Text!, cx, baseline, SKTextAlign.Center, font, _fill);
    }

    private static List<string> Wrap(string text, SKFont font, float maxWidth)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = line.Length == 0 ? word : $"{line} {word}";
            if (line.Length > 0 && font.MeasureText(candidate) > maxWidth)
            {
                lines.Add(line.ToString());
                line.Clear().Append(word);
            }
            else
            {
                line.Clear().Append(candidate);
            }
        }

        if (line.Length > 0)
        {
            lines.Add(line.ToString());
        }

        if (lines.Count > CaptionLines)
        {
            lines = [.. lines.Take(CaptionLines)];
            lines[^1] += " …";
        }

        return lines;
    }

    public void Dispose()
    {
        Canvas.Dispose();
        Bitmap.Dispose();
        _fill.Dispose();
        _stroke.Dispose();
    }

    private sealed record Shape(bool IsCircle, SKColor Color, float X0, float Y0, float X1, float Y1, float Radius);

    private sealed record SceneLook(SKColor From, SKColor To, float Angle, IReadOnlyList<Shape> Shapes)
    {
        public static SceneLook Derive(long seed, StoryboardScene scene)
        {
            var text = Encoding.UTF8.GetBytes(scene.Text);
            var ikm = new byte[8 + text.Length];
            BinaryPrimitives.WriteInt64LittleEndian(ikm, seed);
            text.CopyTo(ikm, 8);
            var info = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(info, scene.Index);
            var b = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 8 + (MaxShapes * ShapeBytes),
                salt: Encoding.ASCII.GetBytes(Version), info: info);

            var shapes = new Shape[3 + (b[7] % (MaxShapes - 2))];
            for (var i = 0; i < shapes.Length; i++)
            {
                var s = b.AsSpan(8 + (i * ShapeBytes), ShapeBytes);
                shapes[i] = new Shape(
                    IsCircle: (s[0] & 1) == 0,
                    Color: new SKColor(s[1], s[2], s[3], 190),
                    X0: s[4] / 255f, Y0: s[5] / 255f * 0.8f, X1: s[6] / 255f, Y1: s[7] / 255f * 0.8f,
                    Radius: 0.04f + (s[8] / 255f * 0.12f));
            }

            return new SceneLook(new SKColor(b[0], b[1], b[2]), new SKColor(b[3], b[4], b[5]), b[6] / 255f * 2 * MathF.PI, shapes);
        }
    }
}
