using System.Runtime.InteropServices;
using Compliance.Imaging.Pdq;
using SkiaSharp;

namespace Compliance.Imaging.Decoding;

/// <summary>
/// Decodes untrusted image bytes with SkiaSharp, reading the header first and refusing anything whose
/// declared size exceeds the limits before a single pixel buffer is allocated (decompression bombs),
/// and anything that does not decode completely (truncated or corrupt data is an error, not a
/// partially grey image). With <see cref="MaxDecodedSide"/> set, a larger image comes back as a reduced copy,
/// so what the classifiers hold follows the bound rather than the upload (see <see cref="Decode(ReadOnlySpan{byte})"/>). Thread-safe.
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
    /// <param name="maxPixels">Largest accepted width × height.</param>
    /// <param name="maxDimension">Largest accepted width or height.</param>
    /// <param name="maxEncodedBytes">Largest accepted encoded input.</param>
    /// <param name="maxDecodedSide">When set, images with a longer side are reduced to it while decoding; null decodes every image whole.</param>
    public SafeImageDecoder(
        long maxPixels = DefaultMaxPixels,
        int maxDimension = DefaultMaxDimension,
        long maxEncodedBytes = DefaultMaxEncodedBytes,
        int? maxDecodedSide = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEncodedBytes);
        if (maxDecodedSide is { } side)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(side, nameof(maxDecodedSide));
        }

        MaxPixels = maxPixels;
        MaxDimension = maxDimension;
        MaxEncodedBytes = maxEncodedBytes;
        MaxDecodedSide = maxDecodedSide;
    }

    /// <summary>Largest accepted width × height.</summary>
    public long MaxPixels { get; }

    /// <summary>Largest accepted width or height.</summary>
    public int MaxDimension { get; }

    /// <summary>Largest accepted encoded input.</summary>
    public long MaxEncodedBytes { get; }

    /// <summary>
    /// Longest side of the pixels handed back, or null for no bound. Classifiers that look at 224 or 320 pixels
    /// gain nothing from 40 megapixels; PDQ still hashes the full-size image (<see cref="DecodedImage.PdqSample"/>).
    /// </summary>
    public int? MaxDecodedSide { get; }

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
    /// <remarks>
    /// An image whose longer side exceeds <see cref="MaxDecodedSide"/> comes back reduced to that side, with its
    /// full size in <see cref="DecodedImage.SourceWidth"/>/<see cref="DecodedImage.SourceHeight"/> and PDQ's
    /// full-size sample in <see cref="DecodedImage.PdqSample"/>. JPEG is decoded one row at a time (Skia's scanline
    /// decoder) and PNG in strips of rows by libvips (ADR-024) in the layouts where its pixels are SkiaSharp's (8-bit
    /// grey, RGB, RGBA), so the full image is never held. Skia has no row-by-row decoder for PNG or WebP: WebP, any
    /// other PNG layout (16-bit, grey with alpha, ...) and a PNG libvips refuses are decoded whole by Skia into native
    /// memory (4 bytes per pixel) that is freed before this returns; callers bound how many run at once.
    /// </remarks>
    /// <exception cref="ImageRejectedException">The bytes are not an acceptable image.</exception>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded) => Decode(encoded, null);

    /// <inheritdoc cref="Decode(ReadOnlySpan{byte})"/>
    /// <remarks>The same decode; libvips reads the array in place rather than through a stream.</remarks>
    public DecodedImage Decode(byte[] encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return Decode(encoded, encoded);
    }

    private unsafe DecodedImage Decode(ReadOnlySpan<byte> encoded, byte[]? encodedArray)
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

        // The codec reads lazily from this stream until it is disposed, below, while the caller's bytes stay pinned:
        // they are read in place rather than copied (a copy of a 20 MiB upload per decode adds up).
        fixed (byte* bytes = encoded)
        {
            using var stream = new UnmanagedMemoryStream(bytes, encoded.Length);
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
            if (MaxDecodedSide is not { } side || Math.Max(header.Width, header.Height) <= side)
            {
                return DecodeWhole(codec, target, format);
            }

            return VipsStripDecoder.TryDecodeReduced(encoded, encodedArray, codec.EncodedFormat, target, format, side)
                ?? DecodeReduced(codec, target, format, side);
        }
    }

    /// <summary>The size of an image reduced so that its longer side is <paramref name="side"/>, keeping its aspect ratio.</summary>
    public static (int Width, int Height) ReducedSize(int width, int height, int side)
    {
        var scale = (double)side / Math.Max(width, height);
        return (Math.Clamp((int)Math.Round(width * scale), 1, side), Math.Clamp((int)Math.Round(height * scale), 1, side));
    }

    private static unsafe DecodedImage DecodeWhole(SKCodec codec, SKImageInfo target, PdqPixelFormat format)
    {
        var pixels = new byte[target.BytesSize64];
        SKCodecResult result;
        fixed (byte* p = pixels)
        {
            result = codec.GetPixels(target, (IntPtr)p);
        }

        ThrowUnlessDecoded(result);
        return new DecodedImage(pixels, target.Width, target.Height, target.RowBytes, format);
    }

    private static unsafe DecodedImage DecodeReduced(SKCodec codec, SKImageInfo target, PdqPixelFormat format, int side)
    {
        var (width, height) = ReducedSize(target.Width, target.Height, side);
        var builder = new ReducedImageBuilder(target, format, width, height);
        if (codec.StartScanlineDecode(target) == SKCodecResult.Success && codec.ScanlineOrder == SKCodecScanlineOrder.TopDown)
        {
            var row = new byte[target.RowBytes];
            fixed (byte* p = row)
            {
                for (var y = 0; y < target.Height; y++)
                {
                    // Skia fills rows it could not decode and returns how many it did: fewer means the data ran out.
                    if (codec.GetScanlines((IntPtr)p, 1, target.RowBytes) != 1)
                    {
                        throw new ImageRejectedException(
                            ImageRejectionReason.Truncated, $"The image data ends at row {y} of {target.Height}.");
                    }

                    builder.AddRow(row);
                }
            }

            return builder.Build();
        }

        // Whole, in native memory: freed as soon as the rows are consumed, not whenever the GC next compacts.
        var pixels = (byte*)NativeMemory.Alloc((nuint)target.BytesSize64);
        try
        {
            ThrowUnlessDecoded(codec.GetPixels(target, (IntPtr)pixels));
            for (var y = 0; y < target.Height; y++)
            {
                builder.AddRow(new ReadOnlySpan<byte>(pixels + ((long)y * target.RowBytes), target.RowBytes));
            }
        }
        finally
        {
            NativeMemory.Free(pixels);
        }

        return builder.Build();
    }

    private static void ThrowUnlessDecoded(SKCodecResult result)
    {
        switch (result)
        {
            case SKCodecResult.Success:
                return;
            case SKCodecResult.IncompleteInput:
                throw new ImageRejectedException(ImageRejectionReason.Truncated, "The image data ends before all pixels were decoded.");
            default:
                throw new ImageRejectedException(ImageRejectionReason.Corrupt, $"The image could not be decoded ({result}).");
        }
    }

    /// <summary>Refuses a header whose size breaks this decoder's limits (shared with <see cref="PdqFileHasher"/>).</summary>
    internal void CheckDimensions(int width, int height)
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
