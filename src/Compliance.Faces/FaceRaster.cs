using System.Buffers;
using System.Runtime.InteropServices;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using SkiaSharp;

namespace Compliance.Faces;

/// <summary>
/// Every crop, resize and alignment the models need is one affine warp of the source into a small RGBA raster,
/// drawn by SkiaSharp with bilinear sampling (and mipmaps, so large downscales do not alias).
/// </summary>
internal static class FaceRaster
{
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

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

    /// <summary>Draws <paramref name="source"/> through <paramref name="sourceToTarget"/> into a width×height RGBA buffer (black outside the source).</summary>
    /// <remarks>
    /// SkiaSharp rebuilds the source's whole mipmap chain on every draw (about 10 ms CPU for a 1280×720 frame), so a
    /// face crop drawn from a whole frame costs as much as the frame. When the target shows a small part of the source,
    /// that part alone is drawn (<see cref="MipmapAlignedPart"/>): cut on mipmap block boundaries with a margin, so every
    /// mipmap texel the draw samples is built from the same source pixels as in the whole image (ADR-035).
    /// </remarks>
    public static byte[] Warp(SKImage source, SKMatrix sourceToTarget, int width, int height, bool fromPart = true)
    {
        if (!fromPart || MipmapAlignedPart(source.Width, source.Height, sourceToTarget, width, height) is not { } part)
        {
            return Draw(source, sourceToTarget, width, height);
        }

        using var subset = source.Subset(part)
            ?? throw new InvalidOperationException($"SkiaSharp could not cut {part} out of a {source.Width}×{source.Height} image.");
        // Drawn at its own place under the frame's matrix: the sample positions are the frame's less a whole offset.
        return Draw(subset, part.Left, part.Top, sourceToTarget, width, height);
    }

    /// <summary>Draws the whole of <paramref name="source"/>: what <see cref="Warp"/> does when no part will do.</summary>
    internal static byte[] Draw(SKImage source, SKMatrix sourceToTarget, int width, int height) => Draw(source, 0, 0, sourceToTarget, width, height);

    private static byte[] Draw(SKImage source, int left, int top, SKMatrix sourceToTarget, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Black);
            canvas.SetMatrix(sourceToTarget);
            canvas.DrawImage(source, left, top, Sampling);
        }

        return bitmap.GetPixelSpan().ToArray();
    }

    /// <summary>
    /// The part of a sourceWidth×sourceHeight image that a draw into width×height reads, or null when the whole image
    /// should be drawn. With a shrink of s source pixels per target pixel, a mipmapped draw samples mipmap levels up to
    /// ⌈log₂ s⌉ + 1 (trilinear blends two); call B = 2^that. The part starts and ends on multiples of B and reaches 2B + 2
    /// pixels beyond what the target maps to, so every texel sampled at those levels averages exactly the same source
    /// pixels as in the whole image and no sample reaches the part's own edge unless it is the image's. Only taken when
    /// the image's sides are multiples of B (its own levels then halve exactly, as the part's do), the matrix is affine,
    /// and the part is at most half the image.
    /// </summary>
    internal static SKRectI? MipmapAlignedPart(int sourceWidth, int sourceHeight, SKMatrix sourceToTarget, int width, int height)
    {
        if (sourceToTarget.Persp0 != 0 || sourceToTarget.Persp1 != 0 || sourceToTarget.Persp2 != 1
            || !sourceToTarget.TryInvert(out var targetToSource))
        {
            return null;
        }

        // The largest singular value of the inverse's linear part: source pixels per target pixel where it shrinks most.
        double a = targetToSource.ScaleX, b = targetToSource.SkewX, c = targetToSource.SkewY, d = targetToSource.ScaleY;
        var sumSquares = (a * a) + (b * b) + (c * c) + (d * d);
        var determinant = (a * d) - (b * c);
        var shrink = Math.Sqrt((sumSquares + Math.Sqrt(Math.Max(0, (sumSquares * sumSquares) - (4 * determinant * determinant)))) / 2);
        var levels = shrink <= 1 ? 1 : (int)Math.Ceiling(Math.Log2(shrink)) + 1;
        if (levels > 10)
        {
            return null;
        }

        var block = 1 << levels;
        if (sourceWidth % block != 0 || sourceHeight % block != 0)
        {
            return null;
        }

        var corners = targetToSource.MapPoints([new SKPoint(0, 0), new SKPoint(width, 0), new SKPoint(0, height), new SKPoint(width, height)]);
        var margin = (2 * block) + 2;
        var left = AlignDown(corners.Min(p => p.X) - margin, block, sourceWidth);
        var top = AlignDown(corners.Min(p => p.Y) - margin, block, sourceHeight);
        var right = AlignUp(corners.Max(p => p.X) + margin, block, sourceWidth);
        var bottom = AlignUp(corners.Max(p => p.Y) + margin, block, sourceHeight);
        if (right <= left || bottom <= top || 2L * (right - left) * (bottom - top) > (long)sourceWidth * sourceHeight)
        {
            return null;
        }

        return new SKRectI(left, top, right, bottom);

        static int AlignDown(double at, int block, int size) => (int)Math.Clamp(Math.Floor(at / block) * block, 0, size);

        static int AlignUp(double at, int block, int size) => (int)Math.Clamp(Math.Ceiling(at / block) * block, 0, size);
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
