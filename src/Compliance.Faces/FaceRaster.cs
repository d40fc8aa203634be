using System.Buffers;
using System.Runtime.InteropServices;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using SkiaSharp;

namespace Compliance.Faces;

/// <summary>
/// Every crop, resize and alignment the models need is one affine warp of the source into a small RGBA raster, drawn by
/// SkiaSharp with bilinear sampling. Large downscales do not alias: the detector's input is one pixel-area resize of the
/// whole image, and a crop that shrinks by more than 2× is drawn from an area-reduced half, quarter… of the image built
/// once per image (<see cref="FaceSource"/>), not from a mipmap chain SkiaSharp would rebuild on every draw (ADR-038).
/// </summary>
internal static class FaceRaster
{
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.None);

    /// <summary>A copy of the image as an <see cref="SKImage"/> (packed RGB widened to RGBA).</summary>
    public static SKImage ToSkImage(DecodedImage image)
    {
        using var pinned = Pin(image);
        return SKImage.FromPixelCopy(pinned.Image.Info, pinned.Image.PeekPixels().GetPixelSpan(), pinned.Image.Info.RowBytes)
            ?? throw new ArgumentException("SkiaSharp could not copy the decoded pixels.", nameof(image));
    }

    /// <summary>
    /// The image as an <see cref="SKImage"/> over its own pixels (pinned, not copied) for as long as the result lives;
    /// packed RGB, which SkiaSharp has no colour type for, is widened to RGBA first (video frames arrive widened).
    /// </summary>
    public static PinnedImage Pin(DecodedImage image)
    {
        if (image.Format == PdqPixelFormat.Rgb888)
        {
            image = RgbWidening.ToRgba(image.Pixels.Span, image.Width, image.Height, image.RowBytes);
        }

        var info = image.Format switch
        {
            PdqPixelFormat.Gray8 => new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque),
            PdqPixelFormat.Rgba8888 => new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul),
            PdqPixelFormat.Bgra8888 => new SKImageInfo(image.Width, image.Height, SKColorType.Bgra8888, SKAlphaType.Unpremul),
            _ => throw new ArgumentException($"Pixel format {image.Format} is not supported by the face pipeline.", nameof(image)),
        };
        var pin = image.Pixels.Pin();
        SKImage? wrapped;
        unsafe
        {
            wrapped = SKImage.FromPixels(info, (IntPtr)pin.Pointer, image.RowBytes);
        }

        if (wrapped is null)
        {
            pin.Dispose();
            throw new ArgumentException("SkiaSharp could not wrap the decoded pixels.", nameof(image));
        }

        return new PinnedImage(wrapped, pin);
    }

    /// <summary>An <see cref="SKImage"/> drawn straight from managed pixels, and the pin that keeps them in place.</summary>
    public sealed class PinnedImage(SKImage image, MemoryHandle pin) : IDisposable
    {
        private MemoryHandle _pin = pin;

        public SKImage Image { get; } = image;

        public void Dispose()
        {
            Image.Dispose();
            _pin.Dispose();
        }
    }

    /// <summary>
    /// The whole image resized to width×height by pixel-area averaging (<see cref="AreaResize"/>), as RGBA; for packed RGB
    /// pass the widened image (<see cref="Pin"/> widens).
    /// </summary>
    public static byte[] ResizeToRgba(DecodedImage image, int width, int height)
    {
        var channels = image.Format switch
        {
            PdqPixelFormat.Gray8 => 1,
            PdqPixelFormat.Rgba8888 or PdqPixelFormat.Bgra8888 => 4,
            _ => throw new ArgumentException($"Pixel format {image.Format} is not supported by the face pipeline.", nameof(image)),
        };
        var resized = new byte[width * height * channels];
        AreaResize.Resize(image, width, height, resized);
        if (image.Format == PdqPixelFormat.Rgba8888)
        {
            return resized;
        }

        var rgba = new byte[width * height * 4];
        for (var i = 0; i < width * height; i++)
        {
            var (r, g, b) = channels == 1
                ? (resized[i], resized[i], resized[i])
                : (resized[(4 * i) + 2], resized[(4 * i) + 1], resized[4 * i]);
            (rgba[4 * i], rgba[(4 * i) + 1], rgba[(4 * i) + 2], rgba[(4 * i) + 3]) = (r, g, b, 255);
        }

        return rgba;
    }

    /// <summary>
    /// Draws <paramref name="source"/> through <paramref name="sourceToTarget"/> into a width×height RGBA buffer (black
    /// outside the source), from the level of the image that leaves at most a 2× shrink to the bilinear draw.
    /// </summary>
    public static byte[] Warp(FaceSource source, SKMatrix sourceToTarget, int width, int height)
    {
        var (level, levelToSource) = source.LevelFor(sourceToTarget);
        return Warp(level, levelToSource.PostConcat(sourceToTarget), width, height);
    }

    /// <summary>Draws <paramref name="source"/> through <paramref name="sourceToTarget"/> into a width×height RGBA buffer (black outside the source), bilinear.</summary>
    public static byte[] Warp(SKImage source, SKMatrix sourceToTarget, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Black);
            canvas.SetMatrix(sourceToTarget);
            canvas.DrawImage(source, 0, 0, Sampling);
        }

        return bitmap.GetPixelSpan().ToArray();
    }

    /// <summary>
    /// An image as the face models' warps read it: its pixels (pinned, packed RGB widened) and, built on first use, copies
    /// reduced by pixel-area averaging to 1/2, 1/4, … of its size. One per analysed image; not thread-safe.
    /// </summary>
    public sealed class FaceSource : IDisposable
    {
        private const int MaxLevel = 6;
        private readonly DecodedImage _image;
        private readonly PinnedImage _full;
        private readonly SKImage?[] _levels = new SKImage?[MaxLevel + 1];

        public FaceSource(DecodedImage image)
        {
            _image = image.Format == PdqPixelFormat.Rgb888 ? RgbWidening.ToRgba(image.Pixels.Span, image.Width, image.Height, image.RowBytes) : image;
            _full = Pin(_image);
        }

        /// <summary>The image's pixels, widened to four bytes where they were packed RGB.</summary>
        public DecodedImage Image => _image;

        public int Width => _image.Width;

        public int Height => _image.Height;

        /// <summary>
        /// The level to draw a warp of scale <paramref name="sourceToTarget"/> from: the smallest whose remaining shrink is
        /// under 2× (the full image when the warp shrinks less than that), and the map from its pixels to the image's.
        /// </summary>
        public (SKImage Level, SKMatrix LevelToSource) LevelFor(SKMatrix sourceToTarget)
        {
            var scale = MathF.Sqrt(MathF.Abs((sourceToTarget.ScaleX * sourceToTarget.ScaleY) - (sourceToTarget.SkewX * sourceToTarget.SkewY)));
            var level = 0;
            while (level < MaxLevel && scale * (1 << (level + 1)) <= 1f && (Width >> (level + 1)) >= 8 && (Height >> (level + 1)) >= 8)
            {
                level++;
            }

            if (level == 0)
            {
                return (_full.Image, SKMatrix.Identity);
            }

            var image = _levels[level] ??= Reduce(level);
            return (image, SKMatrix.CreateScale((float)Width / image.Width, (float)Height / image.Height));
        }

        public void Dispose()
        {
            foreach (var level in _levels)
            {
                level?.Dispose();
            }

            _full.Dispose();
        }

        private SKImage Reduce(int level)
        {
            var (width, height) = (Width >> level, Height >> level);
            var pixels = new byte[width * height * PdqHasherBytes(_image.Format)];
            AreaResize.Resize(_image, width, height, pixels);
            var info = _full.Image.Info.WithSize(width, height);
            return SKImage.FromPixelCopy(info, pixels, info.RowBytes)
                ?? throw new InvalidOperationException($"SkiaSharp could not copy a {width}×{height} reduced image.");
        }

        private static int PdqHasherBytes(PdqPixelFormat format) => format == PdqPixelFormat.Gray8 ? 1 : 4;
    }

    /// <summary>Maps the rectangle (x, y, w, h) of the source onto the whole width×height target.</summary>
    public static SKMatrix RectToTarget(float x, float y, float w, float h, int width, int height)
    {
        var sx = width / w;
        var sy = height / h;
        return new SKMatrix(sx, 0, -x * sx, 0, sy, -y * sy, 0, 0, 1);
    }

    /// <summary>Planar float tensor [3, h, w] in R, G, B order from RGBA, as (v − offset) / scale.</summary>
    public static void ToPlanarRgb(ReadOnlySpan<byte> rgba, Span<float> tensor, float offset, float scale)
    {
        var plane = rgba.Length / 4;
        var pixels = MemoryMarshal.Cast<byte, uint>(rgba);
        for (var i = 0; i < plane; i++)
        {
            var p = pixels[i];
            tensor[i] = ((p & 0xFF) - offset) / scale;
            tensor[plane + i] = (((p >> 8) & 0xFF) - offset) / scale;
            tensor[(2 * plane) + i] = (((p >> 16) & 0xFF) - offset) / scale;
        }
    }

    /// <summary>ITU-R BT.601 luma (what OpenCV's RGB2GRAY computes), 0–255.</summary>
    public static void ToGray(ReadOnlySpan<byte> rgba, Span<float> gray)
    {
        for (var i = 0; i < gray.Length; i++)
        {
            gray[i] = (0.299f * rgba[4 * i]) + (0.587f * rgba[(4 * i) + 1]) + (0.114f * rgba[(4 * i) + 2]);
        }
    }

    /// <summary>Variance of the 4-neighbour Laplacian: a standard focus measure.</summary>
    public static float LaplacianVariance(ReadOnlySpan<float> gray, int width, int height)
    {
        double sum = 0, sumSquares = 0;
        var n = 0;
        for (var y = 1; y < height - 1; y++)
        {
            for (var x = 1; x < width - 1; x++)
            {
                var i = (y * width) + x;
                double l = gray[i - 1] + gray[i + 1] + gray[i - width] + gray[i + width] - (4 * gray[i]);
                sum += l;
                sumSquares += l * l;
                n++;
            }
        }

        var mean = sum / n;
        return (float)((sumSquares / n) - (mean * mean));
    }
}
