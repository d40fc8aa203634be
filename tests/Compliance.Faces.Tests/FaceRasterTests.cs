using Xunit.Abstractions;
using SkiaSharp;

namespace Compliance.Faces.Tests;

public sealed class FaceRasterTests(FaceFixture fixture, ITestOutputHelper output) : IClassFixture<FaceFixture>
{
    /// <summary>
    /// Face crops are drawn from a mipmap-aligned part of the frame instead of the whole frame (ADR-035). Every crop the
    /// pipeline makes (landmark square, aligned face, liveness crop) at many places, sizes and angles on a 1280×720
    /// photo must come out as when the whole frame is drawn, but for float rounding of the sample positions: at most
    /// one level off, in at most 1 % of a crop's bytes.
    /// </summary>
    [Theory]
    [InlineData("astronaut.png")]
    [InlineData("grace_hopper.jpg")]
    [InlineData("basketball1.png")]
    public void ACropDrawnFromPartOfTheFrameIsWithinRoundingOfOneDrawnFromTheWholeFrame(string name)
    {
        using var photo = FaceRaster.ToSkImage(fixture.Decode(name));
        using var frame = Resized(photo, 1280, 720);
        var fromParts = 0;
        var cases = 0;
        var maxDiff = 0;
        var differing = new List<string>();
        foreach (var side in new[] { 40f, 90f, 150f, 237.5f, 333f, 500f })
        {
            foreach (var (x, y) in new[] { (0f, 0f), (13.25f, 7.5f), (401.3f, 188.9f), (640f, 360f), (1280f - side, 720f - side), (900.7f, 600.2f) })
            {
                foreach (var (target, angle) in new[] { (FacePipeline.LandmarkSide, 0f), (FacePipeline.AlignedSide, 0f), (FacePipeline.AlignedSide, 11.3f), (FacePipeline.AlignedSide, -24f), (FacePipeline.LivenessSide, 0f) })
                {
                    var matrix = FaceRaster.RectToTarget(x, y, side, side, target, target);
                    if (angle != 0)
                    {
                        matrix = SKMatrix.CreateRotationDegrees(angle, x + (side / 2), y + (side / 2)).PostConcat(matrix);
                    }

                    cases++;
                    if (FaceRaster.MipmapAlignedPart(frame.Width, frame.Height, matrix, target, target) is not null)
                    {
                        fromParts++;
                    }

                    var whole = FaceRaster.Draw(frame, matrix, target, target);
                    var part = FaceRaster.Warp(frame, matrix, target, target);
                    var diff = 0;
                    for (var i = 0; i < whole.Length; i++)
                    {
                        diff += whole[i] != part[i] ? 1 : 0;
                        maxDiff = Math.Max(maxDiff, Math.Abs(whole[i] - part[i]));
                    }

                    if (diff > whole.Length / 100)
                    {
                        differing.Add($"{side}@({x},{y}) {angle}° {target}²: {diff} of {whole.Length} bytes");
                    }
                }
            }
        }

        output.WriteLine($"{name}: {cases} crops, {fromParts} from parts, max difference {maxDiff}");
        Assert.True(maxDiff <= 1 && differing.Count == 0, $"max diff {maxDiff}; {differing.Count} of {cases} differ in more than 1 %: {string.Join("; ", differing)}");
        Assert.True(fromParts > cases / 2, $"only {fromParts} of {cases} crops were drawn from a part of the frame");
    }

    /// <summary>
    /// The pipeline with crops from frame parts finds the same faces as with crops from whole frames, on 1280×720 frames
    /// of every test photo: same boxes (detection still reads the whole frame), landmarks within a tenth of a pixel,
    /// embeddings at cosine ≥ 0.9999, spoof scores within 0.005.
    /// </summary>
    [Fact]
    public void CropsFromFramePartsDescribeEveryFaceAsCropsFromWholeFrames()
    {
        using var whole = new FacePipeline(FaceModelOptions.FromDirectory(Path.Combine(fixture.RepoRoot, ".data", "models", "face")) with { CropsFromFrameParts = false });
        var worstCosine = 1f;
        var worstSpoof = 0f;
        var worstLandmark = 0f;
        var faces = 0;
        foreach (var file in Directory.GetFiles(Path.Combine(fixture.RepoRoot, ".data", "test-images", "faces")).Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal)))
        {
            using var photo = FaceRaster.ToSkImage(fixture.Decoder.DecodeFile(file));
            using var resized = Resized(photo, 1280, 720);
            var frame = Compliance.Imaging.Decoding.RgbWidening.ToRgba(Packed(resized), 1280, 720, 1280 * 3);
            var expected = whole.Analyze(frame);
            var actual = fixture.Pipeline.Analyze(frame);
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                faces++;
                Assert.Equal(expected[i].Box, actual[i].Box);
                worstCosine = Math.Min(worstCosine, FaceVectors.Cosine(expected[i].Embedding, actual[i].Embedding));
                worstSpoof = Math.Max(worstSpoof, Math.Abs(expected[i].SpoofScore - actual[i].SpoofScore));
                for (var p = 0; p < expected[i].Landmarks.Count; p++)
                {
                    worstLandmark = Math.Max(worstLandmark, Math.Max(Math.Abs(expected[i].Landmarks[p].X - actual[i].Landmarks[p].X), Math.Abs(expected[i].Landmarks[p].Y - actual[i].Landmarks[p].Y)));
                }
            }
        }

        output.WriteLine($"{faces} faces: lowest embedding cosine {worstCosine}, largest spoof difference {worstSpoof}, largest landmark shift {worstLandmark} px");
        Assert.True(faces >= 5, $"only {faces} faces found");
        Assert.True(worstCosine >= 0.9999f && worstSpoof <= 0.005f && worstLandmark <= 0.1f,
            $"{faces} faces: lowest embedding cosine {worstCosine}, largest spoof difference {worstSpoof}, largest landmark shift {worstLandmark} px");
    }

    [Theory]
    [InlineData(1281, 720)]
    [InlineData(1280, 721)]
    public void AFrameWhoseSidesDoNotHalveEvenlyIsDrawnWhole(int width, int height)
    {
        var matrix = FaceRaster.RectToTarget(100, 100, 200, 200, FacePipeline.LandmarkSide, FacePipeline.LandmarkSide);

        Assert.Null(FaceRaster.MipmapAlignedPart(width, height, matrix, FacePipeline.LandmarkSide, FacePipeline.LandmarkSide));
        Assert.NotNull(FaceRaster.MipmapAlignedPart(1280, 720, matrix, FacePipeline.LandmarkSide, FacePipeline.LandmarkSide));
    }

    [Fact]
    public void TheWholeFrameDrawnSmallIsDrawnWhole()
    {
        var matrix = FaceRaster.RectToTarget(0, 0, 1280, 720, FacePipeline.DetectorWidth, FacePipeline.DetectorHeight);

        Assert.Null(FaceRaster.MipmapAlignedPart(1280, 720, matrix, FacePipeline.DetectorWidth, FacePipeline.DetectorHeight));
    }

    private static byte[] Packed(SKImage image)
    {
        using var pixmap = image.PeekPixels();
        Assert.Equal(SKColorType.Rgba8888, pixmap.ColorType);
        var rgba = pixmap.GetPixelSpan();
        var packed = new byte[image.Width * image.Height * 3];
        for (var i = 0; i < image.Width * image.Height; i++)
        {
            (packed[i * 3], packed[(i * 3) + 1], packed[(i * 3) + 2]) = (rgba[i * 4], rgba[(i * 4) + 1], rgba[(i * 4) + 2]);
        }

        return packed;
    }

    private static SKImage Resized(SKImage source, int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var pixmap = bitmap.PeekPixels())
        {
            Assert.True(source.ScalePixels(pixmap, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)));
        }

        return SKImage.FromBitmap(bitmap);
    }
}
