using SkiaSharp;

namespace Compliance.Faces;

/// <summary>
/// Least-squares 2-D similarity (rotation, uniform scale, translation; no reflection or shear) mapping source points
/// onto target points — the closed form of Umeyama's method in two dimensions.
/// </summary>
internal static class SimilarityTransform
{
    public static SKMatrix Estimate(ReadOnlySpan<FacePoint> source, ReadOnlySpan<FacePoint> target)
    {
        if (source.Length != target.Length || source.Length < 2)
        {
            throw new ArgumentException("A similarity needs at least two corresponding points.", nameof(source));
        }

        float msx = 0, msy = 0, mtx = 0, mty = 0;
        for (var i = 0; i < source.Length; i++)
        {
            msx += source[i].X;
            msy += source[i].Y;
            mtx += target[i].X;
            mty += target[i].Y;
        }

        msx /= source.Length;
        msy /= source.Length;
        mtx /= source.Length;
        mty /= source.Length;

        double dot = 0, cross = 0, norm = 0;
        for (var i = 0; i < source.Length; i++)
        {
            double sx = source[i].X - msx, sy = source[i].Y - msy;
            double tx = target[i].X - mtx, ty = target[i].Y - mty;
            dot += (sx * tx) + (sy * ty);
            cross += (sx * ty) - (sy * tx);
            norm += (sx * sx) + (sy * sy);
        }

        if (norm <= 1e-9)
        {
            throw new ArgumentException("The source points coincide.", nameof(source));
        }

        var a = (float)(dot / norm);
        var b = (float)(cross / norm);
        var translateX = mtx - ((a * msx) - (b * msy));
        var translateY = mty - ((b * msx) + (a * msy));
        return new SKMatrix(a, -b, translateX, b, a, translateY, 0, 0, 1);
    }
}
