using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Trimming;

/// <summary>A rectangle in pixels: left, top, width, height.</summary>
public readonly record struct PixelBox(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;

    public int Bottom => Y + Height;

    /// <summary>As evidence carries it: [x, y, width, height].</summary>
    public int[] ToArray() => [X, Y, Width, Height];
}

/// <summary>An image with its uniform borders cut off, and where the kept part lies in the image it came from.</summary>
/// <param name="Image">The kept pixels (the input itself when nothing was trimmed).</param>
/// <param name="Kept">The kept rectangle, in the input's decoded pixels.</param>
/// <param name="Trimmed">True when some border was cut off.</param>
public sealed record TrimmedImage(DecodedImage Image, PixelBox Kept, bool Trimmed);

/// <summary>
/// Cuts uniform borders and letterbox / pillarbox bars off an image before it is hashed, embedded or described by
/// local features, so that a padded copy of a reference is compared with the reference and not with the padding. Used
/// the same way for references (at upload) and for screened images and video frames, so both sides agree.
/// </summary>
/// <remarks>
/// From each edge inwards, a row (or column) is border while at least <see cref="UniformShare"/> of its pixels lie
/// within <see cref="Tolerance"/> luma levels of the outermost line's median: a tolerance that absorbs JPEG and video
/// noise and the ringing next to a hard edge, while a line of real content (a sky, a wall) almost always varies more
/// somewhere along it. Top and bottom are found first, then left and right within the rows kept, so a window box (bars
/// on all four sides) is cut in one pass. An image that would keep less than <see cref="MinKeptShare"/> of a side (a
/// blank or nearly blank frame) is not trimmed on that axis: nothing would be left to match.
/// </remarks>
public static class BorderTrimmer
{
    /// <summary>How far, in luma levels (0–255), a border pixel may be from the border's colour.</summary>
    public const int Tolerance = 24;

    /// <summary>The share of a line's pixels that must be within <see cref="Tolerance"/> for it to count as border.</summary>
    public const double UniformShare = 0.97;

    /// <summary>Less than this share of a side kept: the axis is left untrimmed.</summary>
    public const double MinKeptShare = 0.08;

    /// <summary>The content rectangle of <paramref name="image"/>, in its decoded pixels (the whole image when it has no border).</summary>
    public static PixelBox FindContent(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var luma = new LumaReader(image);
        int width = image.Width, height = image.Height;

        var top = Inward(luma, height, width, horizontal: true, fromStart: true);
        var bottom = height - Inward(luma, height, width, horizontal: true, fromStart: false);
        if (bottom - top < Math.Max(2, (int)(height * MinKeptShare)))
        {
            (top, bottom) = (0, height);
        }

        var rows = (top, bottom);
        var left = Inward(luma, width, 0, horizontal: false, fromStart: true, rows);
        var right = width - Inward(luma, width, 0, horizontal: false, fromStart: false, rows);
        if (right - left < Math.Max(2, (int)(width * MinKeptShare)))
        {
            (left, right) = (0, width);
        }

        return new PixelBox(left, top, right - left, bottom - top);
    }

    /// <summary>
    /// The image without its uniform borders (the same instance when there are none). Worked out once per image: later
    /// calls with the same <see cref="DecodedImage"/> (the next classifier of the same frame) get the same answer.
    /// </summary>
    public static TrimmedImage Trim(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Trimmed is { } known)
        {
            return known;
        }

        var kept = FindContent(image);
        var trimmed = kept.Width == image.Width && kept.Height == image.Height
            ? new TrimmedImage(image, kept, Trimmed: false)
            : new TrimmedImage(Crop(image, kept), kept, Trimmed: true);
        // Two classifiers racing on one image compute equal answers; either may be kept.
        image.Trimmed = trimmed;
        return trimmed;
    }

    /// <summary>A copy of one rectangle of an image; a reduced image's source size is scaled with it.</summary>
    public static DecodedImage Crop(DecodedImage image, PixelBox box)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (box.X < 0 || box.Y < 0 || box.Width <= 0 || box.Height <= 0 || box.Right > image.Width || box.Bottom > image.Height)
        {
            throw new ArgumentOutOfRangeException(nameof(box), box, $"Not inside the {image.Width}×{image.Height} image.");
        }

        var bpp = PdqHasher.BytesPerPixel(image.Format);
        var rowBytes = box.Width * bpp;
        var pixels = new byte[rowBytes * box.Height];
        var source = image.Pixels.Span;
        for (var y = 0; y < box.Height; y++)
        {
            source.Slice(((box.Y + y) * image.RowBytes) + (box.X * bpp), rowBytes).CopyTo(pixels.AsSpan(y * rowBytes));
        }

        return new DecodedImage(pixels, box.Width, box.Height, rowBytes, image.Format)
        {
            SourceWidth = Math.Max(box.Width, (int)Math.Round((double)box.Width * image.SourceWidth / image.Width)),
            SourceHeight = Math.Max(box.Height, (int)Math.Round((double)box.Height * image.SourceHeight / image.Height)),
        };
    }

    /// <summary>A box in <paramref name="image"/>'s decoded pixels, in the pixels of the source it was decoded from.</summary>
    public static PixelBox ToSource(DecodedImage image, PixelBox box)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!image.IsReduced)
        {
            return box;
        }

        double sx = (double)image.SourceWidth / image.Width, sy = (double)image.SourceHeight / image.Height;
        var x = (int)Math.Round(box.X * sx);
        var y = (int)Math.Round(box.Y * sy);
        return new PixelBox(x, y, Math.Min(image.SourceWidth - x, (int)Math.Round(box.Width * sx)), Math.Min(image.SourceHeight - y, (int)Math.Round(box.Height * sy)));
    }

    /// <summary>
    /// How many lines from one edge are border. <paramref name="horizontal"/>: lines are rows (of
    /// <paramref name="length"/> pixels); otherwise columns, restricted to <paramref name="rows"/>.
    /// </summary>
    private static int Inward(LumaReader luma, int lines, int length, bool horizontal, bool fromStart, (int Top, int Bottom) rows = default)
    {
        var outer = fromStart ? 0 : lines - 1;
        var colour = Median(luma, outer, horizontal, length, rows);
        var count = 0;
        while (count < lines)
        {
            var line = fromStart ? count : lines - 1 - count;
            if (!Uniform(luma, line, horizontal, length, rows, colour))
            {
                break;
            }

            count++;
        }

        return count;
    }

    private static bool Uniform(LumaReader luma, int line, bool horizontal, int length, (int Top, int Bottom) rows, int colour)
    {
        var (start, end) = horizontal ? (0, length) : (rows.Top, rows.Bottom);
        var total = end - start;
        var allowedOff = (int)(total * (1 - UniformShare));
        var off = 0;
        for (var i = start; i < end; i++)
        {
            var value = horizontal ? luma[i, line] : luma[line, i];
            if (Math.Abs(value - colour) > Tolerance && ++off > allowedOff)
            {
                return false;
            }
        }

        return true;
    }

    private static int Median(LumaReader luma, int line, bool horizontal, int length, (int Top, int Bottom) rows)
    {
        Span<int> histogram = stackalloc int[256];
        var (start, end) = horizontal ? (0, length) : (rows.Top, rows.Bottom);
        for (var i = start; i < end; i++)
        {
            histogram[horizontal ? luma[i, line] : luma[line, i]]++;
        }

        var half = (end - start + 1) / 2;
        var seen = 0;
        for (var value = 0; value < 256; value++)
        {
            seen += histogram[value];
            if (seen >= half)
            {
                return value;
            }
        }

        return 255;
    }

    /// <summary>Rec. 601 luma of single pixels, read straight from the decoded layout.</summary>
    private readonly ref struct LumaReader(DecodedImage image)
    {
        private readonly ReadOnlySpan<byte> _pixels = image.Pixels.Span;
        private readonly int _rowBytes = image.RowBytes;
        private readonly int _bpp = PdqHasher.BytesPerPixel(image.Format);
        private readonly PdqPixelFormat _format = image.Format;

        public int this[int x, int y]
        {
            get
            {
                var at = (y * _rowBytes) + (x * _bpp);
                return _format switch
                {
                    PdqPixelFormat.Gray8 => _pixels[at],
                    PdqPixelFormat.Bgra8888 => ((299 * _pixels[at + 2]) + (587 * _pixels[at + 1]) + (114 * _pixels[at]) + 500) / 1000,
                    _ => ((299 * _pixels[at]) + (587 * _pixels[at + 1]) + (114 * _pixels[at + 2]) + 500) / 1000,
                };
            }
        }
    }
}
