using Microsoft.ML.OnnxRuntime;

namespace Compliance.Faces.Tests;

[Collection(FaceCollection.Name)]
public sealed class SubnormalWeightsTests(FaceFixture fixture)
{
    [Theory]
    [InlineData("fr_landmark.onnx", 1, FacePipeline.LandmarkSide, FacePipeline.LandmarkSide)]
    [InlineData("fr_feature.onnx", 3, FacePipeline.AlignedSide, FacePipeline.AlignedSide)]
    public void ZeroingSubnormalWeightsLeavesTheModelsOutputBitForBitTheSame(string file, int channels, int height, int width)
    {
        var path = Path.Combine(fixture.RepoRoot, ".data", "models", "face", file);
        var flushedModel = SubnormalWeights.Load(path, out var flushed);
        Assert.True(flushed > 1_000, $"{file}: only {flushed} subnormal weights; the reason for the rewrite is gone");

        // A real photo scaled to the model's input, the way the pipeline feeds it (planar, centred on 127).
        using var photo = FaceRaster.ToSkImage(fixture.Decode("astronaut.png"));
        var rgba = FaceRaster.Warp(photo, FaceRaster.RectToTarget(0, 0, photo.Width, photo.Height, width, height), width, height);
        var input = new float[channels * width * height];
        if (channels == 1)
        {
            FaceRaster.ToGray(rgba, input);
            for (var i = 0; i < input.Length; i++)
            {
                input[i] /= 256f;
            }
        }
        else
        {
            FaceRaster.ToPlanarRgb(rgba, input, 127f, 128f);
        }

        Assert.Equal(Run(new InferenceSession(path), input, [1, channels, height, width]), Run(new InferenceSession(flushedModel), input, [1, channels, height, width]));
    }

    private static float[] Run(InferenceSession session, float[] input, long[] shape)
    {
        using (session)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
            using var outputs = session.Run(new RunOptions(), [session.InputNames[0]], [value], [session.OutputNames[0]]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
    }
}
