using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Decoding;

/// <summary>
/// Packed RGB (3 bytes a pixel, as ffmpeg hands out video frames) widened to RGBA with opaque alpha: the layout
/// SkiaSharp, and so the ResNet18 resize and the face models' warps, read without a copy of their own. Every channel
/// byte is kept as it is, so PDQ, the border trimmer and local features see the same values in either layout.
/// </summary>
public static class RgbWidening
{
    /// <summary>A new <see cref="PdqPixelFormat.Rgba8888"/> image (rows packed) with the pixels of packed RGB rows.</summary>
    public static DecodedImage ToRgba(ReadOnlySpan<byte> rgb, int width, int height, int rowBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowBytes, width * 3);
        if (rgb.Length < ((long)rowBytes * (height - 1)) + (width * 3L))
        {
            throw new ArgumentException("The pixel buffer is smaller than the stated image.", nameof(rgb));
        }

        var rgba = GC.AllocateUninitializedArray<byte>(checked(width * height * 4));
        for (var y = 0; y < height; y++)
        {
            WidenRow(rgb.Slice(y * rowBytes, width * 3), rgba.AsSpan(y * width * 4, width * 4));
        }

        return new DecodedImage(rgba, width, height, width * 4, PdqPixelFormat.Rgba8888);
    }

    /// <summary>One row: <paramref name="rgb"/> holds 3 bytes per pixel, <paramref name="rgba"/> receives 4.</summary>
    internal static void WidenRow(ReadOnlySpan<byte> rgb, Span<byte> rgba)
    {
        var pixels = rgba.Length / 4;
        if (rgb.Length < pixels * 3)
        {
            throw new ArgumentException("The RGB row is shorter than the RGBA row it fills.", nameof(rgb));
        }

        var x = 0;
        if (Ssse3.IsSupported)
        {
            // Four pixels per step: 12 of the 16 bytes loaded are spread over 16 (index 0x80 gives 0), alpha is or-ed in.
            // The last load must not reach past the row, so the final pixels take the scalar loop.
            var spread = Vector128.Create((byte)0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80);
            var alpha = Vector128.Create(0xFF000000u).AsByte();
            ref var source = ref MemoryMarshal.GetReference(rgb);
            ref var target = ref MemoryMarshal.GetReference(rgba);
            var vectorPixels = Math.Min(pixels, (rgb.Length - 16) / 3) & ~3;
            for (; x < vectorPixels; x += 4)
            {
                var packed = Unsafe.ReadUnaligned<Vector128<byte>>(ref Unsafe.Add(ref source, x * 3));
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, x * 4), Ssse3.Shuffle(packed, spread) | alpha);
            }
        }

        for (; x < pixels; x++)
        {
            rgba[x * 4] = rgb[x * 3];
            rgba[(x * 4) + 1] = rgb[(x * 3) + 1];
            rgba[(x * 4) + 2] = rgb[(x * 3) + 2];
            rgba[(x * 4) + 3] = 255;
        }
    }
}
