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
    }
}
