using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;

namespace Compliance.Faces.Tests;

public sealed class VideoFrameTests(FaceFixture fixture) : IClassFixture<FaceFixture>
{
    [Fact]
    public void PackedRgbVideoFramesGiveTheSameFaceAsTheDecodedImage()
    {
        var rgba = fixture.Decode("astronaut.png");
        Assert.Equal(PdqPixelFormat.Rgba8888, rgba.Format);
        var packed = new byte[rgba.Width * rgba.Height * 3];
        for (var y = 0; y < rgba.Height; y++)
        {
            for (var x = 0; x < rgba.Width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    packed[(((y * rgba.Width) + x) * 3) + c] = rgba.Pixels.Span[(y * rgba.RowBytes) + (x * 4) + c];
                }
            }
        }

        var frame = new DecodedImage(packed, rgba.Width, rgba.Height, rgba.Width * 3, PdqPixelFormat.Rgb888);

        var fromFrame = Assert.Single(fixture.Pipeline.Analyze(frame));
        var fromImage = Assert.Single(fixture.Pipeline.Analyze(rgba));
        Assert.True(FaceVectors.Cosine(fromFrame.Embedding, fromImage.Embedding) > 0.99f);

        // The frame screener widens frames to RGBA once (ADR-035): the same bytes, so exactly the same face.
        var widened = Assert.Single(fixture.Pipeline.Analyze(RgbWidening.ToRgba(packed, rgba.Width, rgba.Height, rgba.Width * 3)));
        Assert.Equal(fromFrame.Box, widened.Box);
        Assert.Equal(fromFrame.Landmarks, widened.Landmarks);
        Assert.Equal(fromFrame.Embedding, widened.Embedding);
        Assert.Equal(fromFrame.SpoofScore, widened.SpoofScore);
    }

    [Fact]
    public void DrawingFromTheFramesOwnPixelsGivesThePixelsOfDrawingFromACopy()
    {
        var photo = fixture.Decode("astronaut.png");
        using var copy = FaceRaster.ToSkImage(photo);
        using var pinned = FaceRaster.Pin(photo);
        var matrices = new[]
        {
            FaceRaster.RectToTarget(0, 0, photo.Width, photo.Height, FacePipeline.DetectorWidth, FacePipeline.DetectorHeight),
            FaceRaster.RectToTarget(180, 60, 110, 110, FacePipeline.LandmarkSide, FacePipeline.LandmarkSide),
            SkiaSharp.SKMatrix.CreateRotationDegrees(7, 230, 120).PostConcat(FaceRaster.RectToTarget(150, 40, 160, 160, 112, 112)),
        };

        foreach (var matrix in matrices)
        {
            Assert.Equal(FaceRaster.Warp(copy, matrix, 112, 112), FaceRaster.Warp(pinned.Image, matrix, 112, 112));
        }
    }
}
