using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Trimming;

/// <summary>One byte of Rec. 601 luma per pixel, rows packed (stride = width).</summary>
internal sealed class GreyImage(byte[] pixels, int width, int height)
{
    public byte[] Pixels { get; } = pixels;

    public int Width { get; } = width;

    public int Height { get; } = height;

    public ReadOnlySpan<byte> Row(int y) => Pixels.AsSpan(y * Width, Width);

    /// <summary>The luma of every pixel of <paramref name="image"/> (integer Rec. 601 weights; alpha ignored).</summary>
    public static GreyImage From(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var grey = new byte[image.Width * image.Height];
        var source = image.Pixels.Span;
        var bpp = PdqHasher.BytesPerPixel(image.Format);
        var (r, g, b) = image.Format == PdqPixelFormat.Bgra8888 ? (2, 1, 0) : (0, 1, 2);
        for (var y = 0; y < image.Height; y++)
        {
            var row = source.Slice(y * image.RowBytes, image.Width * bpp);
            var output = grey.AsSpan(y * image.Width, image.Width);
            if (image.Format == PdqPixelFormat.Gray8)
            {
                row.CopyTo(output);
                continue;
            }

            for (var x = 0; x < image.Width; x++)
            {
                var p = row.Slice(x * bpp, 3);
                output[x] = (byte)(((299 * p[r]) + (587 * p[g]) + (114 * p[b]) + 500) / 1000);
            }
        }

        return new GreyImage(grey, image.Width, image.Height);
    }
}
