using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Compliance.Faces;

/// <summary>
/// Loads an ONNX model with its subnormal float weights set to zero. The landmark and embedding models as published
/// carry tens of thousands of weights below 1.2e-38 (fr_landmark 26,567, fr_feature 8,938); every multiply-add that
/// touches one takes the CPU's slow microcode path for denormal operands, which doubled the cost of a face. A weight
/// that small cannot move a float32 sum of activations around 1, so the models' outputs are unchanged (bit-identical
/// on the test photos, <c>FacePipelineTests</c>); the model file on disk, and so its SHA-256 in decisions, is untouched.
/// ADR-026 says why this rather than flushing denormals in the FPU (ONNX Runtime's <c>set_denormal_as_zero</c> only
/// affects the thread that created the session).
/// </summary>
internal static class SubnormalWeights
{
    /// <summary>The model's bytes with subnormal float initializers zeroed, and how many weights that touched.</summary>
    public static byte[] Load(string path, out int flushed)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        flushed = 0;
        foreach (var tensor in model.Graph.Initializer)
        {
            if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            {
                continue;
            }

            if (!tensor.RawData.IsEmpty)
            {
                var values = MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
                var count = Flush(values);
                if (count > 0)
                {
                    tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
                    flushed += count;
                }
            }
            else
            {
                for (var i = 0; i < tensor.FloatData.Count; i++)
                {
                    if (float.IsSubnormal(tensor.FloatData[i]))
                    {
                        tensor.FloatData[i] = 0f;
                        flushed++;
                    }
                }
            }
        }

        return model.ToByteArray();
    }

    private static int Flush(Span<float> values)
    {
        var count = 0;
        foreach (ref var value in values)
        {
            if (float.IsSubnormal(value))
            {
                value = 0f;
                count++;
            }
        }

        return count;
    }
}
