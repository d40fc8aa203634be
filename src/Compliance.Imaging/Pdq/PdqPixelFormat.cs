namespace Compliance.Imaging.Pdq;

/// <summary>Layout of 8-bit pixels handed to <see cref="PdqHasher"/>. Alpha, where present, is ignored.</summary>
public enum PdqPixelFormat
{
    /// <summary>Four bytes per pixel: R, G, B, A.</summary>
    Rgba8888,

    /// <summary>Four bytes per pixel: B, G, R, A.</summary>
    Bgra8888,

    /// <summary>Three bytes per pixel: R, G, B.</summary>
    Rgb888,

    /// <summary>One byte per pixel, used directly as luminance.</summary>
    Gray8,
}
