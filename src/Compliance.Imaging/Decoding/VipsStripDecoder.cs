using Compliance.Imaging.Pdq;
using NetVips;
using SkiaSharp;

namespace Compliance.Imaging.Decoding;

/// <summary>
/// The reduced decode of a large PNG upload through libvips, which reads PNG top to bottom (Skia can only decode it
/// whole): strips of rows go straight into a <see cref="ReducedImageBuilder"/>, so an upload never holds more than a
/// strip of full-size pixels (ADR-024). WebP stays with Skia: libvips decodes a WebP frame whole too, and held about
/// twice Skia's memory doing it (306 MiB for 40 megapixels). Only the layouts whose pixels libvips hands back exactly
/// as SkiaSharp does are taken (8-bit grey as <see cref="PdqPixelFormat.Gray8"/>, 8-bit sRGB with or without alpha as
/// <see cref="PdqPixelFormat.Rgba8888"/>); for anything else, or when libvips refuses the data, the caller decodes with
/// SkiaSharp as before, so every verdict on a bad file (truncated, corrupt) is still SkiaSharp's.
/// </summary>
internal static class VipsStripDecoder
{
    /// <summary>Full-size pixels held at once (at least <see cref="StripRowMultiple"/> rows).</summary>
    private const int StripBudgetBytes = 1024 * 1024;

    private const int StripRowMultiple = 64;

    /// <summary>
    /// The reduced image, or null when this path does not apply (not PNG, layout, libvips unavailable or refusing the
    /// data). <paramref name="target"/> is the layout SkiaSharp would decode to, from its header; <paramref name="encodedArray"/>,
    /// when the caller has the bytes as an array, is handed to libvips as it is.
    /// </summary>
    public static unsafe DecodedImage? TryDecodeReduced(
        ReadOnlySpan<byte> encoded, byte[]? encodedArray, SKEncodedImageFormat encodedFormat, SKImageInfo target, PdqPixelFormat format, int side)
    {
        if (encodedFormat != SKEncodedImageFormat.Png || !VipsRuntime.TryEnsure())
        {
            return null;
        }

        // Only the PNG loader is called, by name: libvips never guesses a format from untrusted bytes.
        try
        {
            if (encodedArray is not null)
            {
                using var image = Image.PngloadBuffer(encodedArray, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
                return Decode(image, target, format, side);
            }

            // A span is read in place through a stream (NetVips copies what it reads through managed buffers).
            fixed (byte* bytes = encoded)
            {
                using var stream = new UnmanagedMemoryStream(bytes, encoded.Length);
                using var image = Image.PngloadStream(stream, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
                return Decode(image, target, format, side);
            }
        }
        catch (VipsException)
        {
            return null;
        }
    }

    private static unsafe DecodedImage? Decode(Image image, SKImageInfo target, PdqPixelFormat format, int side)
    {
        if (image.Width != target.Width || image.Height != target.Height || image.Format != Enums.BandFormat.Uchar
            || !SameLayout(image, format))
        {
            return null;
        }

        var (width, height) = SafeImageDecoder.ReducedSize(target.Width, target.Height, side);
        var builder = new ReducedImageBuilder(target, format, width, height);
        var bands = image.Bands;
        var stripRowBytes = target.Width * bands;
        // Each strip is a new libvips pipeline over the one sequential loader, which refuses to go back over rows it has
        // passed; it reads in blocks of 64 rows, so strips start on such a block ("out of order read" otherwise).
        var rowsPerStrip = Math.Max(StripRowMultiple, StripBudgetBytes / stripRowBytes / StripRowMultiple * StripRowMultiple);
        var strip = new byte[(long)stripRowBytes * rowsPerStrip];
        var rgba = bands == 3 ? new byte[target.RowBytes] : null;
        fixed (byte* stripPixels = strip)
        {
            for (var top = 0; top < target.Height; top += rowsPerStrip)
            {
                var rows = Math.Min(rowsPerStrip, target.Height - top);
                using (var part = image.Crop(0, top, target.Width, rows))
                using (var into = Image.NewFromMemory((IntPtr)stripPixels, (ulong)((long)stripRowBytes * rows), target.Width, rows, bands, Enums.BandFormat.Uchar))
                {
                    part.Write(into);
                }

                for (var y = 0; y < rows; y++)
                {
                    var row = strip.AsSpan(y * stripRowBytes, stripRowBytes);
                    if (rgba is null)
                    {
                        builder.AddRow(row);
                    }
                    else
                    {
                        // SkiaSharp decodes opaque RGB to RGBA with alpha 255: the same bytes.
                        for (int x = 0, from = 0, to = 0; x < target.Width; x++, from += 3, to += 4)
                        {
                            rgba[to] = row[from];
                            rgba[to + 1] = row[from + 1];
                            rgba[to + 2] = row[from + 2];
                            rgba[to + 3] = 255;
                        }

                        builder.AddRow(rgba);
                    }
                }
            }
        }

        return builder.Build();
    }

    private static bool SameLayout(Image image, PdqPixelFormat format) => format switch
    {
        PdqPixelFormat.Gray8 => image.Bands == 1 && image.Interpretation == Enums.Interpretation.Bw,
        PdqPixelFormat.Rgba8888 => image.Bands is 3 or 4 && image.Interpretation == Enums.Interpretation.Srgb,
        _ => false,
    };
}
