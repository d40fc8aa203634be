using Compliance.Imaging.Pdq;
using Compliance.Imaging.Trimming;

namespace Compliance.Imaging.Decoding;

/// <summary>
/// Decoded 8-bit pixels, owned by this object. A decoder may hand back a reduced copy of a large image
/// (<see cref="SafeImageDecoder.MaxDecodedSide"/>); then <see cref="SourceWidth"/>×<see cref="SourceHeight"/>
/// is the encoded image's size and <see cref="PdqSample"/> the full-size pixels PDQ reads, so that
/// measurements stay in the original's pixels and the PDQ hash stays the full-size image's hash.
/// </summary>
public sealed class DecodedImage
{
    private readonly int _sourceWidth;
    private readonly int _sourceHeight;

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

    /// <summary>Width of the image these pixels were decoded from: <see cref="Width"/> unless the decoder reduced it.</summary>
    public int SourceWidth
    {
        get => _sourceWidth == 0 ? Width : _sourceWidth;
        init => _sourceWidth = value >= Width ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The source cannot be narrower than its decoded pixels.");
    }

    /// <summary>Height of the image these pixels were decoded from: <see cref="Height"/> unless the decoder reduced it.</summary>
    public int SourceHeight
    {
        get => _sourceHeight == 0 ? Height : _sourceHeight;
        init => _sourceHeight = value >= Height ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The source cannot be shorter than its decoded pixels.");
    }

    /// <summary>True when these pixels are a reduced copy of a larger source.</summary>
    public bool IsReduced => SourceWidth != Width || SourceHeight != Height;

    /// <summary>
    /// For a reduced image: the source's pixels at exactly the positions PDQ samples when it pre-scales a large image
    /// (<see cref="PdqHasher.PreScaleDimension"/> square, nearest neighbour), taken from the full-size decode, so
    /// <see cref="PdqHasher"/> hashes the source as if it had been decoded whole. Null when the pixels are the source's.
    /// </summary>
    public DecodedImage? PdqSample { get; init; }

    /// <summary>
    /// <see cref="BorderTrimmer.Trim"/>'s answer for these pixels, kept after the first call: the PDQ, embedding and
    /// local-feature classifiers each trim the same frame, and the answer depends on the pixels alone.
    /// </summary>
    internal TrimmedImage? Trimmed { get; set; }
}
