using Compliance.Imaging.Pdq;
using SkiaSharp;

namespace Compliance.Imaging.Decoding;

/// <summary>
/// Decodes untrusted image bytes with SkiaSharp, reading the header first and refusing anything whose
/// declared size exceeds the limits before a single pixel buffer is allocated (decompression bombs),
/// and anything that does not decode completely (truncated or corrupt data is an error, not a
/// partially grey image). Thread-safe.
/// </summary>
public sealed class SafeImageDecoder
{
    /// <summary>Default pixel limit: 40 megapixels (a 160 MB RGBA buffer).</summary>
    public const long DefaultMaxPixels = 40_000_000;

    /// <summary>Default limit on either side, in pixels.</summary>
    public const int DefaultMaxDimension = 32_768;

    /// <summary>Default limit on the encoded size: 64 MiB.</summary>
    public const long DefaultMaxEncodedBytes = 64L * 1024 * 1024;

    /// <summary>Creates a decoder with the given limits.</summary>
    public SafeImageDecoder(
        long maxPixels = DefaultMaxPixels,
        int maxDimension = DefaultMaxDimension,
        long maxEncodedBytes = DefaultMaxEncodedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEncodedBytes);
        MaxPixels = maxPixels;
        MaxDimension = maxDimension;
        MaxEncodedBytes = maxEncodedBytes;
    }

    /// <summary>Largest accepted width × height.</summary>
    public long MaxPixels { get; }

    /// <summary>Largest accepted width or height.</summary>
    public int MaxDimension { get; }

    /// <summary>Largest accepted encoded input.</summary>
    public long MaxEncodedBytes { get; }

    /// <summary>Decodes a file, applying the same checks.</summary>
    public DecodedImage DecodeFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var length = new FileInfo(path).Length;
        if (length > MaxEncodedBytes)
        {
            throw new ImageRejectedException(
                ImageRejectionReason.TooManyBytes, $"The file is {length} bytes; the limit is {MaxEncodedBytes}.");
        }

        return Decode(File.ReadAllBytes(path));
    }

    /// <summary>
    /// Decodes to 8-bit pixels: <see cref="PdqPixelFormat.Gray8"/> for greyscale sources, otherwise
    /// <see cref="PdqPixelFormat.Rgba8888"/> unpremultiplied. EXIF orientation is not applied (as in the
    /// PDQ reference, which hashes pixels in stored order).
    /// </summary>
    /// <exception cref="ImageRejectedException">The bytes are not an acceptable image.</exception>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty)
        {
            throw new ImageRejectedException(ImageRejectionReason.Empty, "The image is empty (zero bytes).");
        }

        if (encoded.Length > MaxEncodedBytes)
        {
            throw new ImageRejectedException(
                ImageRejectionReason.TooManyBytes, $"The image is {encoded.Length} bytes; the limit is {MaxEncodedBytes}.");
        }

        // The codec reads lazily from this stream; a private copy keeps the caller's buffer out of native hands.
        using var stream = new MemoryStream(encoded.ToArray(), writable: false);
        using var codec = SKCodec.Create(stream, out var createResult);
        if (codec is null)
        {
            var reason = createResult == SKCodecResult.IncompleteInput
                ? ImageRejectionReason.Truncated
                : ImageRejectionReason.UnrecognisedFormat;
            throw new ImageRejectedException(reason, $"Not a recognised image ({createResult}).");
        }

        var header = codec.Info;
        CheckDimensions(header.Width, header.Height);

        var format = header.ColorType == SKColorType.Gray8 ? PdqPixelFormat.Gray8 : PdqPixelFormat.Rgba8888;
        var target = new SKImageInfo(
            header.Width,
            header.Height,
            format == PdqPixelFormat.Gray8 ? SKColorType.Gray8 : SKColorType.Rgba8888,
            format == PdqPixelFormat.Gray8 ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var pixels = new byte[target.BytesSize64];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* p = pixels)
            {
                result = codec.GetPixels(target, (IntPtr)p);
            }
        }

        return result switch
        {
            SKCodecResult.Success => new DecodedImage(pixels, target.Width, target.Height, target.RowBytes, format),
            SKCodecResult.IncompleteInput => throw new ImageRejectedException(
                ImageRejectionReason.Truncated, "The image data ends before all pixels were decoded."),
            _ => throw new ImageRejectedException(ImageRejectionReason.Corrupt, $"The image could not be decoded ({result})."),
        };
    }

    private void CheckDimensions(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ImageRejectedException(ImageRejectionReason.Corrupt, $"The header declares {width}×{height} pixels.");
        }

        if (width > MaxDimension || height > MaxDimension || (long)width * height > MaxPixels)
        {
            throw new ImageRejectedException(
                ImageRejectionReason.TooLarge,
                $"The header declares {width}×{height} pixels; the limit is {MaxPixels} pixels and {MaxDimension} per side.");
        }
    }
}
