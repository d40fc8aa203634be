namespace Compliance.Imaging.Decoding;

/// <summary>Why <see cref="SafeImageDecoder"/> refused an input.</summary>
public enum ImageRejectionReason
{
    /// <summary>No bytes at all.</summary>
    Empty,

    /// <summary>The bytes are not in an image format the decoder knows.</summary>
    UnrecognisedFormat,

    /// <summary>The header declares more pixels (or a larger side) than the configured limit: a possible decompression bomb.</summary>
    TooLarge,

    /// <summary>The image data ends before all pixels are decoded.</summary>
    Truncated,

    /// <summary>The image data is malformed.</summary>
    Corrupt,

    /// <summary>The encoded input is longer than the configured byte limit.</summary>
    TooManyBytes,
}

/// <summary>An input that is not a decodable image within the configured limits. The message names the reason.</summary>
public sealed class ImageRejectedException : Exception
{
    /// <summary>Creates a rejection.</summary>
    public ImageRejectedException(ImageRejectionReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Creates a rejection without a reason code (prefer the other constructor).</summary>
    public ImageRejectedException()
        : this(ImageRejectionReason.Corrupt, "The image was rejected.")
    {
    }

    /// <summary>Creates a rejection without a reason code (prefer the other constructor).</summary>
    public ImageRejectedException(string message)
        : this(ImageRejectionReason.Corrupt, message)
    {
    }

    /// <summary>Creates a rejection without a reason code (prefer the other constructor).</summary>
    public ImageRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = ImageRejectionReason.Corrupt;
    }

    /// <summary>The machine-readable reason.</summary>
    public ImageRejectionReason Reason { get; }
}
