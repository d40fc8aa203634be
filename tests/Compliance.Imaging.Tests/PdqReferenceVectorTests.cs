using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Tests;

public sealed class PdqReferenceVectorTests
{
    private static readonly SafeImageDecoder Decoder = new();

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var row in SharedPdqVectors.Rows)
        {
            data.Add(row.File);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void HashIsWithinToleranceOfReferenceAndQualityMatches(string file)
    {
        var expected = SharedPdqVectors.Row(file);

        var actual = PdqHasher.Hash(Decoder.DecodeFile(SharedPdqVectors.PathOf(file)));

        var distance = actual.Hash.HammingDistance(expected.Hash);
        Assert.True(
            distance <= expected.MaxHammingDistance,
            $"{file}: {actual.Hash} is {distance} bits from {expected.Hash} (allowed {expected.MaxHammingDistance}).");
        Assert.Equal(expected.Quality, actual.Quality);
    }

    // Today every vector, PNG and JPEG, hashes to exactly the reference's bits; a faster path must keep it so.
    [Theory]
    [MemberData(nameof(Files))]
    public void HashEqualsTheReferenceBitForBit(string file)
    {
        var expected = SharedPdqVectors.Row(file);

        var actual = PdqHasher.Hash(Decoder.DecodeFile(SharedPdqVectors.PathOf(file)));

        Assert.Equal(expected.Hash, actual.Hash);
    }

    [Fact]
    public void EveryReferenceRowIsCovered() => Assert.Equal(29, SharedPdqVectors.Rows.Count);

    // The transformed files were re-encoded at their own sizes (640×1020 for the quarter turns), so the
    // variant derived from the DCT is near, not identical: measured 2..18 bits, while every wrong
    // variant is over 100 bits away. 31 is PDQ's customary match threshold.
    private const int DihedralMatchDistance = 31;

    [Theory]
    [InlineData(PdqDihedral.Original, "bridge-1-original.png")]
    [InlineData(PdqDihedral.Rotate90, "bridge-2-rotate-90.png")]
    [InlineData(PdqDihedral.Rotate180, "bridge-3-rotate-180.png")]
    [InlineData(PdqDihedral.Rotate270, "bridge-4-rotate-270.png")]
    [InlineData(PdqDihedral.FlipX, "bridge-5-flipx.png")]
    [InlineData(PdqDihedral.FlipY, "bridge-6-flipy.png")]
    [InlineData(PdqDihedral.FlipPlus1, "bridge-7-flip-plus-1.png")]
    [InlineData(PdqDihedral.FlipMinus1, "bridge-8-flip-minus-1.png")]
    public void DihedralVariantOfOriginalMatchesOnlyItsTransformedImage(PdqDihedral transform, string transformedFile)
    {
        var variants = PdqHasher.HashDihedral(Decoder.DecodeFile(SharedPdqVectors.PathOf("bridge-1-original.png")));
        var transformed = PdqHasher.Hash(Decoder.DecodeFile(SharedPdqVectors.PathOf(transformedFile))).Hash;

        var distance = variants[transform].HammingDistance(transformed);
        Assert.True(distance <= DihedralMatchDistance, $"{transform} is {distance} bits from {transformedFile}.");
        foreach (var other in Enum.GetValues<PdqDihedral>().Where(t => t != transform))
        {
            Assert.True(
                variants[other].HammingDistance(transformed) > 2 * DihedralMatchDistance,
                $"{other} should not match {transformedFile}.");
        }
    }

    [Fact]
    public void DihedralOriginalEqualsPlainHash()
    {
        var image = Decoder.DecodeFile(SharedPdqVectors.PathOf("bridge-1-original.png"));

        var dihedral = PdqHasher.HashDihedral(image);
        var plain = PdqHasher.Hash(image);

        Assert.Equal(plain.Hash, dihedral[PdqDihedral.Original]);
        Assert.Equal(plain.Quality, dihedral.Quality);
    }
}
