using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Decoding;

/// <summary>Decoded 8-bit pixels, owned by this object.</summary>
public sealed class DecodedImage
{
    /// <summary>Wraps pixels already in memory.</summary>
    public DecodedImage(ReadOnlyMemory<byte> pixels, int width, int height, int rowBytes, PdqPixelFormat format)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowBytes, width * PdqHasher.BytesPerPixel(format));
        if (pixels.Length < (long)rowBytes * height)
        {
            throw new ArgumentException("The pixel buffer is smaller than the stated image.", nameof(pixels));
        }

        Pixels = pixels;
        Width = width;
        Height = height;
        RowBytes = rowBytes;
        Format = format;
    }

    /// <summary>Pixel rows, top to bottom.</summary>
    public ReadOnlyMemory<byte> Pixels { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Bytes from one row to the next.</summary>
    public int RowBytes { get; }

    /// <summary>Layout of each pixel.</summary>
    public PdqPixelFormat Format { get; }
}
