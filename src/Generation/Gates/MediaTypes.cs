using Compliance.Imaging.Decoding;

namespace Compliance.Generation.Gates;

/// <summary>Recognises the accepted image formats by their leading bytes, not by what the client claims.</summary>
internal static class MediaTypes
{
    public const long MaxImageBytes = 20L * 1024 * 1024;

    /// <summary>The media type of an accepted image, or a 415 rejection for anything else.</summary>
    public static string RequireImage(ReadOnlySpan<byte> bytes) =>
        SniffImage(bytes) ?? throw new ImageRejectedException(ImageRejectionReason.UnrecognisedFormat, "Only PNG, JPEG and WebP images are accepted.");

    public static string? SniffImage(ReadOnlySpan<byte> bytes) => bytes switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "image/webp",
        _ => null,
    };
}
