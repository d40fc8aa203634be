using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Tests;

public sealed class PdqHashTests
{
    private const string Bridge = "d8f8f0cee0f4a84f0e370222078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

    [Fact]
    public void FormatRoundTripsTheReferenceText() => Assert.Equal(Bridge, PdqHash.Parse(Bridge).ToString());

    [Fact]
    public void FirstHexDigitHoldsTheHighestBits()
    {
        var hash = PdqHash.Parse("8" + new string('0', 63));

        Assert.True(hash.GetBit(255));
        Assert.Equal(1, hash.HammingDistance(default));
    }

    [Theory]
    [InlineData("")]
    [InlineData("xyz")]
    [InlineData("d8f8f0cee0f4a84f0e370222078f67f0b36e2ed596621e1d33e6339c4e9c9b2")]
    [InlineData("g8f8f0cee0f4a84f0e370222078f67f0b36e2ed596621e1d33e6339c4e9c9b22")]
    public void MalformedTextDoesNotParse(string text) => Assert.False(PdqHash.TryParse(text, out _));

    [Fact]
    public void ImagesSmallerThanFivePixelsHashToZeroWithZeroQuality()
    {
        var result = PdqHasher.Hash(new byte[4 * 4 * 4], 4, 4, 16, PdqPixelFormat.Rgba8888);

        Assert.Equal(new PdqResult(default, 0), result);
        Assert.False(result.IsMatchable);
    }

    [Fact]
    public void FlatImageHasZeroQuality()
    {
        var grey = Enumerable.Repeat((byte)128, 100 * 100).ToArray();

        Assert.Equal(0, PdqHasher.Hash(grey, 100, 100, 100, PdqPixelFormat.Gray8).Quality);
    }

    [Fact]
    public void BgraAndRgbaOfTheSamePixelsHashTheSame()
    {
        var random = new Random(2);
        var rgba = new byte[64 * 48 * 4];
        random.NextBytes(rgba);
        var bgra = (byte[])rgba.Clone();
        for (var i = 0; i < bgra.Length; i += 4)
        {
            (bgra[i], bgra[i + 2]) = (bgra[i + 2], bgra[i]);
        }

        Assert.Equal(
            PdqHasher.Hash(rgba, 64, 48, 256, PdqPixelFormat.Rgba8888),
            PdqHasher.Hash(bgra, 64, 48, 256, PdqPixelFormat.Bgra8888));
    }

    [Fact]
    public void BufferShorterThanTheImageIsRefused() =>
        Assert.Throws<ArgumentException>(() => PdqHasher.Hash(new byte[10], 10, 10, 10, PdqPixelFormat.Gray8));

    [Theory]
    [InlineData(37, 1)]
    [InlineData(200, 2)]
    [InlineData(513, 5)]
    public void VectorisedColumnFilterOnTransposedDataEqualsScalarRowFilterBitForBit(int length, int window)
    {
        var random = new Random(length);
        const int Rows = 13;
        var input = Enumerable.Range(0, Rows * length).Select(_ => (float)(random.NextDouble() * 255)).ToArray();
        var transposed = new float[input.Length];
        for (var i = 0; i < Rows; i++)
        {
            for (var j = 0; j < length; j++)
            {
                transposed[(j * Rows) + i] = input[(i * length) + j];
            }
        }

        var scalar = new float[input.Length];
        PdqTransform.BoxAlongRows(input, scalar, Rows, length, window);
        var vectorised = new float[input.Length];
        PdqTransform.BoxAlongCols(transposed, vectorised, length, Rows, window);

        for (var i = 0; i < Rows; i++)
        {
            for (var j = 0; j < length; j++)
            {
                Assert.Equal(scalar[(i * length) + j], vectorised[(j * Rows) + i]);
            }
        }
    }
}
