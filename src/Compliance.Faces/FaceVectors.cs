using System.Numerics.Tensors;

namespace Compliance.Faces;

/// <summary>Vector helpers shared by the pipeline and the index.</summary>
public static class FaceVectors
{
    /// <summary>Scales <paramref name="vector"/> to unit L2 length in place (a zero vector stays zero).</summary>
    public static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <summary>Cosine similarity of two vectors of equal length.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);
}
