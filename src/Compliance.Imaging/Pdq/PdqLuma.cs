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
    public static void Fill(
        ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, PdqPixelFormat format,
        int rows, int cols, Span<float> luma)
    {
        var bpp = PdqHasher.BytesPerPixel(format);
        Span<int> columnOffsets = cols <= 1024 ? stackalloc int[cols] : new int[cols];
        for (var x = 0; x < cols; x++)
        {
            columnOffsets[x] = SourceIndex(x, width, cols) * bpp;
        }

        var (r, g, b) = format switch
        {
            PdqPixelFormat.Bgra8888 => (2, 1, 0),
            _ => (0, 1, 2),
        };

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
                    var p = row.Slice(columnOffsets[x], 3);
                    output[x] = (RedWeight * p[r]) + (GreenWeight * p[g]) + (BlueWeight * p[b]);
                }
            }
        }
    }

    /// <summary>The source row (or column) that target row (or column) <paramref name="target"/> is taken from.</summary>
    internal static int SourceIndex(int target, int sourceSize, int targetSize) =>
        targetSize == sourceSize ? target : (int)((double)target * sourceSize / targetSize);
}
