using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Compliance.Imaging.Pdq;

/// <summary>RGB → luminance, with the reference CLI's nearest-neighbour pre-scaling folded in.</summary>
internal static class PdqLuma
{
    // The reference's coefficients (Rec. 601 luma), as single-precision constants.
    private const float RedWeight = 0.299f;
    private const float GreenWeight = 0.587f;
    private const float BlueWeight = 0.114f;

    /// <summary>
    /// Fills <paramref name="luma"/> (<paramref name="rows"/>×<paramref name="cols"/>) from the source pixels.
    /// When the target size differs from the source, source pixel <c>floor(x·W/cols)</c> is taken for
    /// column x (and likewise for rows): CImg's nearest-neighbour resize, which the reference CLI uses.
    /// Sampling before converting gives the same values as converting and then sampling.
    /// </summary>
    /// <remarks>
    /// With AVX2, eight pixels at a time are gathered (one 32-bit load at each pixel's first byte), their channels
    /// widened to floats and weighted with the same single-precision multiplies and adds in the same order as the
    /// scalar loop, so every value is bit for bit the scalar one (<see cref="FillScalar"/>, which tests compare
    /// against). Pixels whose 32-bit load would reach past the buffer's end take the scalar path.
    /// </remarks>
    public static void Fill(
        ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, PdqPixelFormat format,
        int rows, int cols, Span<float> luma)
    {
        if (!Avx2.IsSupported)
        {
            FillScalar(pixels, width, height, rowBytes, format, rows, cols, luma);
            return;
        }

        var bpp = PdqHasher.BytesPerPixel(format);
        Span<int> columnOffsets = cols <= 1024 ? stackalloc int[cols] : new int[cols];
        ColumnOffsets(width, cols, bpp, columnOffsets);
        var (r, g, b) = ChannelOrder(format);
        for (var y = 0; y < rows; y++)
        {
            var rowStart = SourceIndex(y, height, rows) * rowBytes;
            var row = pixels[rowStart..];
            var output = luma.Slice(y * cols, cols);

            // Offsets rise with x, so the columns whose 4-byte load stays inside the buffer are a prefix.
            var safe = cols;
            while (safe > 0 && columnOffsets[safe - 1] + sizeof(int) > row.Length)
            {
                safe--;
            }

            var x = format == PdqPixelFormat.Gray8
                ? GatherGray(row, columnOffsets[..safe], output)
                : GatherColour(row, columnOffsets[..safe], output, r, g, b);
            for (; x < cols; x++)
            {
                output[x] = format == PdqPixelFormat.Gray8
                    ? row[columnOffsets[x]]
                    : Weigh(row.Slice(columnOffsets[x], 3), r, g, b);
            }
        }
    }

    /// <summary>The plain per-pixel loop: what <see cref="Fill"/> computes, one value at a time.</summary>
    internal static void FillScalar(
        ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, PdqPixelFormat format,
        int rows, int cols, Span<float> luma)
    {
        var bpp = PdqHasher.BytesPerPixel(format);
        Span<int> columnOffsets = cols <= 1024 ? stackalloc int[cols] : new int[cols];
        ColumnOffsets(width, cols, bpp, columnOffsets);
        var (r, g, b) = ChannelOrder(format);
        for (var y = 0; y < rows; y++)
        {
            var row = pixels.Slice(SourceIndex(y, height, rows) * rowBytes);
            var output = luma.Slice(y * cols, cols);
            if (format == PdqPixelFormat.Gray8)
            {
                for (var x = 0; x < cols; x++)
                {
                    output[x] = row[columnOffsets[x]];
                }
            }
            else
            {
                for (var x = 0; x < cols; x++)
                {
                    output[x] = Weigh(row.Slice(columnOffsets[x], 3), r, g, b);
                }
            }
        }
    }

    /// <summary>The source row (or column) that target row (or column) <paramref name="target"/> is taken from.</summary>
    internal static int SourceIndex(int target, int sourceSize, int targetSize) =>
        targetSize == sourceSize ? target : (int)((double)target * sourceSize / targetSize);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Weigh(ReadOnlySpan<byte> p, int r, int g, int b) =>
        (RedWeight * p[r]) + (GreenWeight * p[g]) + (BlueWeight * p[b]);

    private static void ColumnOffsets(int width, int cols, int bpp, Span<int> offsets)
    {
        for (var x = 0; x < cols; x++)
        {
            offsets[x] = SourceIndex(x, width, cols) * bpp;
        }
    }

    private static (int R, int G, int B) ChannelOrder(PdqPixelFormat format) => format switch
    {
        PdqPixelFormat.Bgra8888 => (2, 1, 0),
        _ => (0, 1, 2),
    };

    // Returns how many leading columns were written.
    private static unsafe int GatherColour(ReadOnlySpan<byte> row, ReadOnlySpan<int> offsets, Span<float> output, int r, int g, int b)
    {
        var count = offsets.Length - (offsets.Length % Vector256<int>.Count);
        var byteMask = Vector256.Create(0xFF);
        var red = Vector256.Create(RedWeight);
        var green = Vector256.Create(GreenWeight);
        var blue = Vector256.Create(BlueWeight);
        fixed (byte* source = row)
        fixed (int* offset = offsets)
        fixed (float* target = output)
        {
            for (var x = 0; x < count; x += Vector256<int>.Count)
            {
                var packed = Avx2.GatherVector256((int*)source, Avx.LoadVector256(offset + x), 1);
                var fr = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(packed, 8 * r) & byteMask);
                var fg = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(packed, 8 * g) & byteMask);
                var fb = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(packed, 8 * b) & byteMask);
                var value = ((red * fr) + (green * fg)) + (blue * fb);
                value.Store(target + x);
            }
        }

        return count;
    }

    private static unsafe int GatherGray(ReadOnlySpan<byte> row, ReadOnlySpan<int> offsets, Span<float> output)
    {
        var count = offsets.Length - (offsets.Length % Vector256<int>.Count);
        var byteMask = Vector256.Create(0xFF);
        fixed (byte* source = row)
        fixed (int* offset = offsets)
        fixed (float* target = output)
        {
            for (var x = 0; x < count; x += Vector256<int>.Count)
            {
                var packed = Avx2.GatherVector256((int*)source, Avx.LoadVector256(offset + x), 1);
                Vector256.ConvertToSingle(packed & byteMask).Store(target + x);
            }
        }

        return count;
    }
}
