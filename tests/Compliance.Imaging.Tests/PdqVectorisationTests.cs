using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Tests;

/// <summary>
/// The vectorised row filter and luma fill must give exactly the scalar loops' floats, bit for bit, on any shape of
/// input: random sizes, windows, pixel formats, strides and buffers that end right after the last pixel.
/// </summary>
public sealed class PdqVectorisationTests
{
    [Fact]
    public void StripRowFilterEqualsTheScalarFilterBitForBit()
    {
        var random = new Random(2101);
        for (var trial = 0; trial < 300; trial++)
        {
            var rows = random.Next(1, 70);
            var cols = random.Next(1, 700);
            var window = PdqTransform.JaroszWindowSize(cols, random.Next(1, 80));
            var input = new float[rows * cols];
            for (var i = 0; i < input.Length; i++)
            {
                // Luma-like values most of the time, arbitrary magnitudes sometimes (rounding differs more there).
                input[i] = trial % 3 == 0 ? (random.NextSingle() - 0.5f) * 1e6f : random.Next(256) * (random.NextSingle() + 0.5f);
            }

            var expected = new float[input.Length];
            var actual = new float[input.Length];
            PdqTransform.BoxAlongRowsScalar(input, expected, rows, cols, window);
            PdqTransform.BoxAlongRows(input, actual, rows, cols, window);

            AssertBitsEqual(expected, actual, $"rows={rows} cols={cols} window={window}");
        }
    }

    [Theory]
    [InlineData(PdqPixelFormat.Rgba8888)]
    [InlineData(PdqPixelFormat.Bgra8888)]
    [InlineData(PdqPixelFormat.Rgb888)]
    [InlineData(PdqPixelFormat.Gray8)]
    public void GatheredLumaEqualsTheScalarFillBitForBit(PdqPixelFormat format)
    {
        var random = new Random(2102 + (int)format);
        var bpp = format switch { PdqPixelFormat.Gray8 => 1, PdqPixelFormat.Rgb888 => 3, _ => 4 };
        for (var trial = 0; trial < 200; trial++)
        {
            var width = random.Next(1, 900);
            var height = random.Next(1, 300);
            var rowBytes = (width * bpp) + (trial % 2 == 0 ? 0 : random.Next(1, 9));

            // Half the buffers end at the last pixel's last byte, so the gather's 4-byte loads meet the end.
            var length = (rowBytes * (height - 1)) + (width * bpp) + (trial % 4 < 2 ? 0 : random.Next(1, 4));
            var pixels = new byte[length];
            random.NextBytes(pixels);
            var (rows, cols) = random.Next(3) switch
            {
                0 => (height, width),
                1 => (512, 512),
                _ => (random.Next(1, 600), random.Next(1, 600)),
            };

            var expected = new float[rows * cols];
            var actual = new float[rows * cols];
            PdqLuma.FillScalar(pixels, width, height, rowBytes, format, rows, cols, expected);
            PdqLuma.Fill(pixels, width, height, rowBytes, format, rows, cols, actual);

            AssertBitsEqual(expected, actual, $"{format} {width}x{height} stride {rowBytes} length {length} → {cols}x{rows}");
        }
    }

    private static void AssertBitsEqual(float[] expected, float[] actual, string what)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, the scalar code gives {expected[i]:R}.");
            }
        }
    }
}
