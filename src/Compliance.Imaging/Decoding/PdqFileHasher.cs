using Compliance.Imaging.Pdq;
using NetVips;

namespace Compliance.Imaging.Decoding;

/// <summary>Which decoder a <see cref="PdqFileHasher"/> uses for PNG, JPEG and WebP files.</summary>
public enum PdqFileDecoder
{
    /// <summary>libvips (NetVips) for JPEG and WebP: SIMD libjpeg-turbo, pixels written into a buffer reused across files; PNG and the rest through <see cref="SafeImageDecoder"/>.</summary>
    Vips,

    /// <summary><see cref="SafeImageDecoder"/> (SkiaSharp) for every file: the pipeline before ADR-021, kept as the baseline.</summary>
    Skia,
}

/// <summary>
/// Hashes image files one after another for batch work (the <c>compliance-imaging pdq</c> CLI), reusing its pixel buffer
/// from file to file. JPEG and WebP files (recognised by their first bytes) are decoded by libvips at full size, which
/// gives exactly SkiaSharp's pixels for 8-bit images (every reference vector is checked, PNG too), so hashes are
/// unchanged; PNG (no faster under libvips here), anything else, and images libvips hands back in another layout
/// (16-bit, CMYK, grey with alpha), go through <see cref="SafeImageDecoder"/> as before. The limits are the given decoder's: encoded bytes before reading,
/// pixels and side from the header before any pixel is decoded. Not thread-safe: use one per worker (ADR-021).
/// </summary>
public sealed class PdqFileHasher
{
    private readonly SafeImageDecoder _limits;
    private readonly PdqFileDecoder _decoder;
    private byte[] _pixels = [];

    /// <summary>Creates a hasher with <paramref name="limits"/>' bounds.</summary>
    public PdqFileHasher(SafeImageDecoder limits, PdqFileDecoder decoder = PdqFileDecoder.Vips)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _limits = limits;
        _decoder = decoder;
        if (decoder == PdqFileDecoder.Vips && !VipsRuntime.TryEnsure())
        {
            throw new DllNotFoundException($"libvips could not be loaded: {VipsRuntime.LoadError}");
        }
    }

    /// <summary>Decodes and hashes one file.</summary>
    /// <exception cref="ImageRejectedException">The file is not an acceptable image.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    public PdqResult Hash(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_decoder == PdqFileDecoder.Skia)
        {
            return PdqHasher.Hash(_limits.DecodeFile(path));
        }

        return Decode(path) is { } image ? PdqHasher.Hash(image) : PdqHasher.Hash(_limits.DecodeFile(path));
    }

    /// <summary>
    /// The file's pixels as libvips decodes them, in this hasher's reused buffer (valid until the next call), or null
    /// when the file is for <see cref="SafeImageDecoder"/> (not JPEG or WebP, or a layout libvips does not hand back as
    /// 8-bit grey, RGB or RGBA). <paramref name="includePng"/> lets the decode bench and tests compare PNG too.
    /// </summary>
    internal DecodedImage? Decode(string path, bool includePng = false)
    {
        var length = new FileInfo(path).Length;
        if (length > _limits.MaxEncodedBytes)
        {
            throw new ImageRejectedException(
                ImageRejectionReason.TooManyBytes, $"The file is {length} bytes; the limit is {_limits.MaxEncodedBytes}.");
        }

        // PNG stays with SkiaSharp: libvips decoded it no faster in the same runs (ADR-021), and JPEG is where the SIMD is.
        if (Sniff(path) is not { } format || (format == SniffedFormat.Png && !includePng))
        {
            return null;
        }

        try
        {
            using var image = Load(path, format);
            _limits.CheckDimensions(image.Width, image.Height);
            var pixelFormat = image.Format != Enums.BandFormat.Uchar ? (PdqPixelFormat?)null : image.Bands switch
            {
                1 when image.Interpretation == Enums.Interpretation.Bw => PdqPixelFormat.Gray8,
                3 when image.Interpretation == Enums.Interpretation.Srgb => PdqPixelFormat.Rgb888,
                4 when image.Interpretation == Enums.Interpretation.Srgb => PdqPixelFormat.Rgba8888,
                _ => null,
            };
            if (pixelFormat is null)
            {
                // A layout SkiaSharp converts its own way: hash what it decodes, so hashes do not depend on the path.
                return null;
            }

            var rowBytes = image.Width * image.Bands;
            var size = checked(rowBytes * image.Height);
            if (_pixels.Length < size)
            {
                // Grown, never shrunk: after the first few files a worker allocates nothing per image.
                _pixels = GC.AllocateUninitializedArray<byte>(size, pinned: true);
            }

            unsafe
            {
                fixed (byte* pixels = _pixels)
                {
                    using var target = Image.NewFromMemory((IntPtr)pixels, (ulong)size, image.Width, image.Height, image.Bands, Enums.BandFormat.Uchar);
                    image.Write(target);
                }
            }

            return new DecodedImage(_pixels.AsMemory(0, size), image.Width, image.Height, rowBytes, pixelFormat.Value);
        }
        catch (VipsException ex)
        {
            var truncated = ex.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase)
                || ex.Message.Contains("premature end", StringComparison.OrdinalIgnoreCase)
                || ex.Message.Contains("unexpected end", StringComparison.OrdinalIgnoreCase);
            throw new ImageRejectedException(
                truncated ? ImageRejectionReason.Truncated : ImageRejectionReason.Corrupt,
                $"The image could not be decoded: {ex.Message.Trim()}");
        }
    }

    private enum SniffedFormat
    {
        Png,
        Jpeg,
        Webp,
    }

    // Only these three loaders are ever called, by name: libvips never guesses a format from untrusted bytes.
    private static Image Load(string path, SniffedFormat format) => format switch
    {
        SniffedFormat.Png => Image.Pngload(path, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error),
        SniffedFormat.Jpeg => Image.Jpegload(path, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error),
        _ => Image.Webpload(path, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error),
    };

    private static SniffedFormat? Sniff(string path)
    {
        Span<byte> head = stackalloc byte[12];
        using var handle = File.OpenHandle(path);
        var read = RandomAccess.Read(handle, head, 0);
        head = head[..read];
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return SniffedFormat.Png;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return SniffedFormat.Jpeg;
        }

        return head.Length == 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..].SequenceEqual("WEBP"u8)
            ? SniffedFormat.Webp
            : null;
    }
}
