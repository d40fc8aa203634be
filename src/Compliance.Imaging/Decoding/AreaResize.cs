using Compliance.Imaging.Pdq;
using OpenCvSharp;

namespace Compliance.Imaging.Decoding;

/// <summary>
/// One resize by pixel-area averaging (OpenCV's <c>INTER_AREA</c>): each output pixel is the mean of the source pixels
/// it covers (any side that shrinks; a pure enlargement is bilinear), so a 1280×720 frame reaches a model's 224×224 or 320×240 input without aliasing and without the mipmap
/// chain SkiaSharp rebuilds on every mipmapped draw (about 10 ms a 720p frame, ADR-038).
/// </summary>
public static class AreaResize
{
    /// <summary>
    /// Writes <paramref name="image"/> resized to <paramref name="width"/>×<paramref name="height"/> into
    /// <paramref name="destination"/> as tightly packed pixels of the image's own format (<see cref="PdqHasher.BytesPerPixel"/>
    /// bytes each, channel order unchanged). Thread-safe.
    /// </summary>
    public static unsafe void Resize(DecodedImage image, int width, int height, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var channels = PdqHasher.BytesPerPixel(image.Format);
        if (destination.Length < width * height * channels)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; {width}×{height}×{channels} are needed.", nameof(destination));
        }

        var type = MatType.CV_8UC(channels);
        var shrinking = width < image.Width || height < image.Height;
        using var pin = image.Pixels.Pin();
        fixed (byte* target = destination)
        {
            using var source = Mat.FromPixelData(image.Height, image.Width, type, (IntPtr)pin.Pointer, image.RowBytes);
            using var resized = Mat.FromPixelData(height, width, type, (IntPtr)target, width * channels);
            Cv2.Resize(source, resized, new Size(width, height), 0, 0, shrinking ? InterpolationFlags.Area : InterpolationFlags.Linear);
            if (resized.Data != (IntPtr)target)
            {
                throw new InvalidOperationException("OpenCV reallocated the destination of a resize.");
            }
        }
    }
}
