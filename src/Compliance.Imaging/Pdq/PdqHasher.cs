using System.Buffers;
using Compliance.Imaging.Decoding;

namespace Compliance.Imaging.Pdq;

/// <summary>
/// Meta's PDQ perceptual hash (256 bits plus a 0..100 quality score), computed as the reference
/// implementation in facebook/ThreatExchange <c>pdq/cpp</c> does: luminance, a two-pass Jarosz
/// (tent) box filter and decimation to 64×64, the 16×16 low-frequency corner of a DCT, and one bit per
/// coefficient above the median. Thread-safe: every call uses its own scratch buffers.
/// </summary>
public static class PdqHasher
{
    /// <summary>
    /// Hashes whose quality is below this are not fit for matching: the reference documentation
    /// says such images are too featureless (flat, tiny, or blurred) for the hash to mean anything.
    /// </summary>
    public const int MatchableQuality = 50;

    /// <summary>
    /// Images wider or taller than this are first resampled to exactly this size square
    /// (nearest-neighbour, aspect ratio not kept), as the reference's <c>pdq-photo-hasher</c> does
    /// before filtering, so that hashes of large photos agree with it.
    /// </summary>
    public const int PreScaleDimension = 512;

    /// <summary>Images smaller than this on either side hash to all zeros with quality 0 (the reference's rule).</summary>
    public const int MinimumDimension = 5;

    /// <summary>Hashes a decoded image (a reduced one by its full-size <see cref="DecodedImage.PdqSample"/>).</summary>
    public static PdqResult Hash(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        image = image.PdqSample ?? image;
        return Hash(image.Pixels.Span, image.Width, image.Height, image.RowBytes, image.Format);
    }

    /// <summary>Hashes 8-bit pixels laid out as <paramref name="format"/>, <paramref name="rowBytes"/> bytes per row.</summary>
    public static PdqResult Hash(ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, PdqPixelFormat format)
    {
        Span<float> dct = stackalloc float[PdqTransform.DctSize];
        if (!TryComputeDct(pixels, width, height, rowBytes, format, alwaysFilter: false, dct, out var quality))
        {
            return new PdqResult(default, 0);
        }

        return new PdqResult(PdqTransform.ToHash(dct), quality);
    }

    /// <summary>
    /// Hashes of all eight rotations and mirrors of the image, derived from one DCT by sign changes
    /// and transposition (no re-hashing of pixels), as the reference's dihedral hasher does.
    /// </summary>
    public static PdqDihedralResult HashDihedral(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        image = image.PdqSample ?? image;
        return HashDihedral(image.Pixels.Span, image.Width, image.Height, image.RowBytes, image.Format);
    }

    /// <inheritdoc cref="HashDihedral(DecodedImage)"/>
    public static PdqDihedralResult HashDihedral(
        ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, PdqPixelFormat format)
    {
        Span<float> dct = stackalloc float[PdqTransform.DctSize];
        Span<float> aux = stackalloc float[PdqTransform.DctSize];
        var hashes = new PdqHash[8];
        if (!TryComputeDct(pixels, width, height, rowBytes, format, alwaysFilter: true, dct, out var quality))
        {
            return new PdqDihedralResult(hashes, 0);
        }

        for (var t = 0; t < hashes.Length; t++)
        {
            PdqTransform.ApplyDihedral(dct, aux, (PdqDihedral)t);
            hashes[t] = PdqTransform.ToHash(aux);
        }

        return new PdqDihedralResult(hashes, quality);
    }

    /// <summary>
    /// Hashes a luminance plane (row-major, <paramref name="width"/> floats per row) with no
    /// pre-scaling, e.g. a video frame already scaled to 64×64 by ffmpeg.
    /// </summary>
    public static PdqResult HashLuma(ReadOnlySpan<float> luma, int width, int height)
    {
        ValidateSize(width, height);
        var count = checked(width * height);
        if (luma.Length < count)
        {
            throw new ArgumentException($"Expected {count} luminance values, got {luma.Length}.", nameof(luma));
        }

        if (width < MinimumDimension || height < MinimumDimension)
        {
            return new PdqResult(default, 0);
        }

        var buffer1 = ArrayPool<float>.Shared.Rent(count);
        var buffer2 = ArrayPool<float>.Shared.Rent(count);
        try
        {
            luma[..count].CopyTo(buffer1);
            Span<float> dct = stackalloc float[PdqTransform.DctSize];
            var quality = PdqTransform.LumaToDct(buffer1.AsSpan(0, count), buffer2.AsSpan(0, count), height, width, alwaysFilter: false, dct);
            return new PdqResult(PdqTransform.ToHash(dct), quality);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer1);
            ArrayPool<float>.Shared.Return(buffer2);
        }
    }

    private static bool TryComputeDct(
        ReadOnlySpan<byte> pixels, int width, int height, int rowBytes, PdqPixelFormat format, bool alwaysFilter,
        Span<float> dct, out int quality)
    {
        ValidateSize(width, height);
        var bytesPerPixel = BytesPerPixel(format);
        if (rowBytes < width * bytesPerPixel)
        {
            throw new ArgumentOutOfRangeException(nameof(rowBytes), rowBytes, "Row stride is shorter than a row of pixels.");
        }

        if (pixels.Length < ((long)rowBytes * (height - 1)) + ((long)width * bytesPerPixel))
        {
            throw new ArgumentException("The pixel buffer is smaller than the stated image.", nameof(pixels));
        }

        quality = 0;
        if (width < MinimumDimension || height < MinimumDimension)
        {
            return false;
        }

        var scaled = width > PreScaleDimension || height > PreScaleDimension;
        var cols = scaled ? PreScaleDimension : width;
        var rows = scaled ? PreScaleDimension : height;
        var count = rows * cols;
        var buffer1 = ArrayPool<float>.Shared.Rent(count);
        var buffer2 = ArrayPool<float>.Shared.Rent(count);
        try
        {
            var luma = buffer1.AsSpan(0, count);
            PdqLuma.Fill(pixels, width, height, rowBytes, format, rows, cols, luma);
            quality = PdqTransform.LumaToDct(luma, buffer2.AsSpan(0, count), rows, cols, alwaysFilter, dct);
            return true;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer1);
            ArrayPool<float>.Shared.Return(buffer2);
        }
    }

    internal static int BytesPerPixel(PdqPixelFormat format) => format switch
    {
        PdqPixelFormat.Rgba8888 or PdqPixelFormat.Bgra8888 => 4,
        PdqPixelFormat.Rgb888 => 3,
        PdqPixelFormat.Gray8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown pixel format."),
    };

    private static void ValidateSize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
    }
}
