using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Compliance.Imaging.Pdq;

/// <summary>
/// The numeric core of PDQ. Every floating-point operation is done in single precision and in the same
/// order as the reference so that results agree bit for bit where the inputs do; vectorised loops only
/// run independent lanes side by side, never reassociating a sum.
/// </summary>
internal static class PdqTransform
{
    public const int DownsampleSize = 64;
    public const int DctBlock = 16;
    public const int DctSize = DctBlock * DctBlock;
    private const int JaroszPasses = 2;

    // 16×64, row-major: D[i, j] = sqrt(2/64) · cos(π/128 · (i+1) · (2j+1)), the reference's scaled DCT-II rows 1..16.
    private static readonly float[] DctMatrix = BuildDctMatrix();

    private static float[] BuildDctMatrix()
    {
        var matrix = new float[DctBlock * DownsampleSize];
        var scale = (float)Math.Sqrt(2.0 / DownsampleSize);
        for (var i = 0; i < DctBlock; i++)
        {
            for (var j = 0; j < DownsampleSize; j++)
            {
                matrix[(i * DownsampleSize) + j] =
                    (float)(scale * Math.Cos(Math.PI / 2.0 / DownsampleSize * (i + 1) * ((2 * j) + 1)));
            }
        }

        return matrix;
    }

    /// <summary>
    /// Blurs and decimates <paramref name="buffer1"/> (destroyed) to 64×64, scores quality and writes the
    /// 16×16 DCT block to <paramref name="dct"/>. Returns the quality.
    /// </summary>
    public static int LumaToDct(Span<float> buffer1, Span<float> buffer2, int rows, int cols, bool alwaysFilter, Span<float> dct)
    {
        Span<float> block64 = stackalloc float[DownsampleSize * DownsampleSize];
        if (!alwaysFilter && rows == DownsampleSize && cols == DownsampleSize)
        {
            buffer1[..block64.Length].CopyTo(block64);
        }
        else
        {
            var windowAlongRows = JaroszWindowSize(cols, DownsampleSize);
            var windowAlongCols = JaroszWindowSize(rows, DownsampleSize);
            for (var pass = 0; pass < JaroszPasses; pass++)
            {
                BoxAlongRows(buffer1, buffer2, rows, cols, windowAlongRows);
                BoxAlongCols(buffer2, buffer1, rows, cols, windowAlongCols);
            }

            Decimate(buffer1, rows, cols, block64);
        }

        var quality = Quality(block64);
        Dct64To16(block64, dct);
        return quality;
    }

    /// <summary>Half the per-pass window of a two-pass tent filter: ceil(old / (2·new)).</summary>
    public static int JaroszWindowSize(int oldDimension, int newDimension) =>
        (oldDimension + (2 * newDimension) - 1) / (2 * newDimension);

    /// <summary>
    /// The running mean along every row. A row's sum is a serial chain (each step waits for the last), so eight
    /// rows are run side by side, one per lane of a <see cref="Vector256{T}"/>: a strip of eight rows is turned
    /// column-major into a small scratch buffer, filtered with vector adds, subtracts and divides (each lane sees
    /// exactly the scalar sequence of operations on its row, so the result is bit for bit the scalar one), and
    /// turned back. Rows left over, and machines without 256-bit vectors, take the scalar path.
    /// </summary>
    internal static void BoxAlongRows(ReadOnlySpan<float> input, Span<float> output, int rows, int cols, int window)
    {
        var first = 0;
        if (Vector256.IsHardwareAccelerated && rows >= StripRows)
        {
            var scratch = ArrayPool<float>.Shared.Rent(2 * StripRows * cols);
            try
            {
                var across = scratch.AsSpan(0, StripRows * cols);
                var filtered = scratch.AsSpan(StripRows * cols, StripRows * cols);
                for (; first + StripRows <= rows; first += StripRows)
                {
                    var strip = input.Slice(first * cols, StripRows * cols);
                    for (var r = 0; r < StripRows; r++)
                    {
                        var row = strip.Slice(r * cols, cols);
                        for (var c = 0; c < cols; c++)
                        {
                            across[(c * StripRows) + r] = row[c];
                        }
                    }

                    Box1DStrip(MemoryMarshal.Cast<float, Vector256<float>>(across), MemoryMarshal.Cast<float, Vector256<float>>(filtered), window);
                    var target = output.Slice(first * cols, StripRows * cols);
                    for (var r = 0; r < StripRows; r++)
                    {
                        var row = target.Slice(r * cols, cols);
                        for (var c = 0; c < cols; c++)
                        {
                            row[c] = filtered[(c * StripRows) + r];
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }

        for (var i = first; i < rows; i++)
        {
            Box1D(input.Slice(i * cols, cols), output.Slice(i * cols, cols), window);
        }
    }

    /// <summary>The scalar row filter, one row after another: the yardstick the strip version is tested against.</summary>
    internal static void BoxAlongRowsScalar(ReadOnlySpan<float> input, Span<float> output, int rows, int cols, int window)
    {
        for (var i = 0; i < rows; i++)
        {
            Box1D(input.Slice(i * cols, cols), output.Slice(i * cols, cols), window);
        }
    }

    private const int StripRows = 8;

    // Box1D with eight independent rows in the lanes: the same phases, the same operation order per lane.
    private static void Box1DStrip(ReadOnlySpan<Vector256<float>> input, Span<Vector256<float>> output, int window)
    {
        var (phase1, phase2, phase3, phase4) = Phases(input.Length, window);
        int li = 0, ri = 0, oi = 0, current = 0;
        var sum = Vector256<float>.Zero;
        for (var i = 0; i < phase1; i++)
        {
            sum += input[ri++];
            current++;
        }

        for (var i = 0; i < phase2; i++)
        {
            sum += input[ri++];
            current++;
            output[oi++] = sum / Vector256.Create((float)current);
        }

        var divisor = Vector256.Create((float)current);
        for (var i = 0; i < phase3; i++)
        {
            sum += input[ri++];
            sum -= input[li++];
            output[oi++] = sum / divisor;
        }

        for (var i = 0; i < phase4; i++)
        {
            sum -= input[li++];
            current--;
            output[oi++] = sum / Vector256.Create((float)current);
        }
    }

    // A centred running-mean: the window grows at the start and shrinks at the end, dividing by the
    // number of samples actually summed.
    private static void Box1D(ReadOnlySpan<float> input, Span<float> output, int window)
    {
        var (phase1, phase2, phase3, phase4) = Phases(input.Length, window);
        int li = 0, ri = 0, oi = 0, current = 0;
        var sum = 0.0f;
        for (var i = 0; i < phase1; i++)
        {
            sum += input[ri++];
            current++;
        }

        for (var i = 0; i < phase2; i++)
        {
            sum += input[ri++];
            current++;
            output[oi++] = sum / current;
        }

        for (var i = 0; i < phase3; i++)
        {
            sum += input[ri++];
            sum -= input[li++];
            output[oi++] = sum / current;
        }

        for (var i = 0; i < phase4; i++)
        {
            sum -= input[li++];
            current--;
            output[oi++] = sum / current;
        }
    }

    private static (int Phase1, int Phase2, int Phase3, int Phase4) Phases(int length, int window)
    {
        var half = (window + 2) / 2;
        return (half - 1, window - half + 1, length - window, half - 1);
    }

    // The same running mean down every column, done a row at a time across all columns so memory is
    // read sequentially; each column's sum sees exactly the additions the scalar version would.
    internal static void BoxAlongCols(ReadOnlySpan<float> input, Span<float> output, int rows, int cols, int window)
    {
        var (phase1, phase2, phase3, phase4) = Phases(rows, window);
        var pooled = ArrayPool<float>.Shared.Rent(cols);
        var sums = pooled.AsSpan(0, cols);
        sums.Clear();
        int li = 0, ri = 0, oi = 0, current = 0;
        for (var i = 0; i < phase1; i++)
        {
            AddRow(sums, input.Slice(ri++ * cols, cols));
            current++;
        }

        for (var i = 0; i < phase2; i++)
        {
            AddRow(sums, input.Slice(ri++ * cols, cols));
            current++;
            DivideRow(sums, output.Slice(oi++ * cols, cols), current);
        }

        for (var i = 0; i < phase3; i++)
        {
            AddRow(sums, input.Slice(ri++ * cols, cols));
            SubtractRow(sums, input.Slice(li++ * cols, cols));
            DivideRow(sums, output.Slice(oi++ * cols, cols), current);
        }

        for (var i = 0; i < phase4; i++)
        {
            SubtractRow(sums, input.Slice(li++ * cols, cols));
            current--;
            DivideRow(sums, output.Slice(oi++ * cols, cols), current);
        }

        ArrayPool<float>.Shared.Return(pooled);
    }

    private static void AddRow(Span<float> sums, ReadOnlySpan<float> row)
    {
        var j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = MemoryMarshal.Cast<float, Vector<float>>(sums);
            var vr = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (var k = 0; k < vs.Length; k++)
            {
                vs[k] += vr[k];
            }

            j = vs.Length * Vector<float>.Count;
        }

        for (; j < sums.Length; j++)
        {
            sums[j] += row[j];
        }
    }

    private static void SubtractRow(Span<float> sums, ReadOnlySpan<float> row)
    {
        var j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = MemoryMarshal.Cast<float, Vector<float>>(sums);
            var vr = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (var k = 0; k < vs.Length; k++)
            {
                vs[k] -= vr[k];
            }

            j = vs.Length * Vector<float>.Count;
        }

        for (; j < sums.Length; j++)
        {
            sums[j] -= row[j];
        }
    }

    private static void DivideRow(ReadOnlySpan<float> sums, Span<float> output, int count)
    {
        float divisor = count;
        var j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = MemoryMarshal.Cast<float, Vector<float>>(sums);
            var vo = MemoryMarshal.Cast<float, Vector<float>>(output);
            var vd = new Vector<float>(divisor);
            for (var k = 0; k < vs.Length; k++)
            {
                vo[k] = vs[k] / vd;
            }

            j = vs.Length * Vector<float>.Count;
        }

        for (; j < sums.Length; j++)
        {
            output[j] = sums[j] / divisor;
        }
    }

    // Samples the centre of each of the 64×64 target cells.
    private static void Decimate(ReadOnlySpan<float> input, int rows, int cols, Span<float> output)
    {
        for (var oi = 0; oi < DownsampleSize; oi++)
        {
            var ii = (int)((oi + 0.5) * rows / DownsampleSize);
            for (var oj = 0; oj < DownsampleSize; oj++)
            {
                var ij = (int)((oj + 0.5) * cols / DownsampleSize);
                output[(oi * DownsampleSize) + oj] = input[(ii * cols) + ij];
            }
        }
    }

    // Sum of quantised neighbour differences, scaled by the reference's hand-tuned 90 and capped at 100.
    private static int Quality(ReadOnlySpan<float> block)
    {
        var gradientSum = 0;
        for (var i = 0; i < DownsampleSize - 1; i++)
        {
            for (var j = 0; j < DownsampleSize; j++)
            {
                var u = block[(i * DownsampleSize) + j];
                var v = block[((i + 1) * DownsampleSize) + j];
                gradientSum += Math.Abs((int)((u - v) * 100f / 255f));
            }
        }

        for (var i = 0; i < DownsampleSize; i++)
        {
            for (var j = 0; j < DownsampleSize - 1; j++)
            {
                var u = block[(i * DownsampleSize) + j];
                var v = block[(i * DownsampleSize) + j + 1];
                gradientSum += Math.Abs((int)((u - v) * 100f / 255f));
            }
        }

        return Math.Min(gradientSum / 90, 100);
    }

    // B = D · A · Dᵀ for the 16 lowest non-DC frequencies; each sum runs over k in increasing order.
    private static void Dct64To16(ReadOnlySpan<float> a, Span<float> b)
    {
        Span<float> t = stackalloc float[DctBlock * DownsampleSize];
        var d = DctMatrix.AsSpan();
        for (var i = 0; i < DctBlock; i++)
        {
            var tRow = MemoryMarshal.Cast<float, Vector<float>>(t.Slice(i * DownsampleSize, DownsampleSize));
            for (var k = 0; k < DownsampleSize; k++)
            {
                var dik = new Vector<float>(d[(i * DownsampleSize) + k]);
                var aRow = MemoryMarshal.Cast<float, Vector<float>>(a.Slice(k * DownsampleSize, DownsampleSize));
                for (var v = 0; v < tRow.Length; v++)
                {
                    tRow[v] += dik * aRow[v];
                }
            }
        }

        for (var i = 0; i < DctBlock; i++)
        {
            var tRow = t.Slice(i * DownsampleSize, DownsampleSize);
            for (var j = 0; j < DctBlock; j++)
            {
                var dRow = d.Slice(j * DownsampleSize, DownsampleSize);
                var sum = 0.0f;
                for (var k = 0; k < DownsampleSize; k++)
                {
                    sum += tRow[k] * dRow[k];
                }

                b[(i * DctBlock) + j] = sum;
            }
        }
    }

    /// <summary>One bit per coefficient: set where it is strictly above the median.</summary>
    public static PdqHash ToHash(ReadOnlySpan<float> dct)
    {
        var median = TorbenMedian(dct);
        Span<ulong> words = stackalloc ulong[4];
        for (var k = 0; k < DctSize; k++)
        {
            if (dct[k] > median)
            {
                words[k >> 6] |= 1UL << (k & 63);
            }
        }

        return new PdqHash(words[0], words[1], words[2], words[3]);
    }

    // Torben Mogensen's median without reordering; for an even count it returns the lower median,
    // as the reference does.
    internal static float TorbenMedian(ReadOnlySpan<float> m)
    {
        var n = m.Length;
        float min = m[0], max = m[0];
        for (var i = 1; i < n; i++)
        {
            if (m[i] < min)
            {
                min = m[i];
            }

            if (m[i] > max)
            {
                max = m[i];
            }
        }

        var half = (n + 1) / 2;
        while (true)
        {
            var guess = (min + max) / 2;
            int less = 0, greater = 0, equal = 0;
            float maxBelow = min, minAbove = max;
            for (var i = 0; i < n; i++)
            {
                if (m[i] < guess)
                {
                    less++;
                    if (m[i] > maxBelow)
                    {
                        maxBelow = m[i];
                    }
                }
                else if (m[i] > guess)
                {
                    greater++;
                    if (m[i] < minAbove)
                    {
                        minAbove = m[i];
                    }
                }
                else
                {
                    equal++;
                }
            }

            if (less <= half && greater <= half)
            {
                return less >= half ? maxBelow : less + equal >= half ? guess : minAbove;
            }

            if (less > greater)
            {
                max = maxBelow;
            }
            else
            {
                min = minAbove;
            }
        }
    }

    /// <summary>
    /// The DCT of a rotated or mirrored image from the DCT of the original: mirroring an axis negates the
    /// odd-frequency rows (or columns) — here the even indices, since slot 0 is frequency 1 — and a
    /// quarter turn is a transpose plus a mirror.
    /// </summary>
    public static void ApplyDihedral(ReadOnlySpan<float> a, Span<float> b, PdqDihedral transform)
    {
        for (var i = 0; i < DctBlock; i++)
        {
            for (var j = 0; j < DctBlock; j++)
            {
                var value = a[(i * DctBlock) + j];
                var (negate, transpose) = transform switch
                {
                    PdqDihedral.Original => (false, false),
                    PdqDihedral.Rotate90 => ((j & 1) == 0, true),
                    PdqDihedral.Rotate180 => (((i + j) & 1) != 0, false),
                    PdqDihedral.Rotate270 => ((i & 1) == 0, true),
                    PdqDihedral.FlipX => ((i & 1) == 0, false),
                    PdqDihedral.FlipY => ((j & 1) == 0, false),
                    PdqDihedral.FlipPlus1 => (false, true),
                    PdqDihedral.FlipMinus1 => (((i + j) & 1) != 0, true),
                    _ => throw new ArgumentOutOfRangeException(nameof(transform)),
                };
                var target = transpose ? (j * DctBlock) + i : (i * DctBlock) + j;
                b[target] = negate ? -value : value;
            }
        }
    }
}
