using System.Globalization;
using System.Numerics;

namespace Compliance.Imaging.Pdq;

/// <summary>
/// A 256-bit PDQ hash, stored as four 64-bit words. Bit <c>k</c> (0..255) is DCT coefficient
/// <c>k</c> (row-major in the 16×16 block) being above the median; <see cref="ToString"/> prints the
/// 256-bit number with bit 255 first, which is how Meta's reference implementation prints hashes.
/// </summary>
public readonly record struct PdqHash(ulong W0, ulong W1, ulong W2, ulong W3)
{
    /// <summary>Number of bits in a PDQ hash.</summary>
    public const int BitCount = 256;

    /// <summary>Length of the hexadecimal text form.</summary>
    public const int HexLength = 64;

    /// <summary>Word <paramref name="index"/> (0..3); word 0 holds bits 0..63.</summary>
    public ulong this[int index] => index switch
    {
        0 => W0,
        1 => W1,
        2 => W2,
        3 => W3,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>Whether bit <paramref name="bit"/> (0..255) is set.</summary>
    public bool GetBit(int bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bit, BitCount);
        return ((this[bit >> 6] >> (bit & 63)) & 1UL) != 0;
    }

    /// <summary>Number of differing bits between two hashes (0..256).</summary>
    public int HammingDistance(PdqHash other) =>
        BitOperations.PopCount(W0 ^ other.W0) + BitOperations.PopCount(W1 ^ other.W1)
        + BitOperations.PopCount(W2 ^ other.W2) + BitOperations.PopCount(W3 ^ other.W3);

    /// <summary>Returns a copy with bit <paramref name="bit"/> flipped.</summary>
    public PdqHash FlipBit(int bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bit, BitCount);
        var mask = 1UL << (bit & 63);
        return (bit >> 6) switch
        {
            0 => this with { W0 = W0 ^ mask },
            1 => this with { W1 = W1 ^ mask },
            2 => this with { W2 = W2 ^ mask },
            _ => this with { W3 = W3 ^ mask },
        };
    }

    /// <summary>64 lowercase hex characters, most significant bit first (the reference's format).</summary>
    public override string ToString() =>
        string.Create(HexLength, this, static (span, hash) =>
        {
            hash.W3.TryFormat(span[..16], out _, "x16", CultureInfo.InvariantCulture);
            hash.W2.TryFormat(span[16..32], out _, "x16", CultureInfo.InvariantCulture);
            hash.W1.TryFormat(span[32..48], out _, "x16", CultureInfo.InvariantCulture);
            hash.W0.TryFormat(span[48..], out _, "x16", CultureInfo.InvariantCulture);
        });

    /// <summary>Parses the 64-hex-character form written by <see cref="ToString"/> (either case).</summary>
    public static PdqHash Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var hash)
            ? hash
            : throw new FormatException($"A PDQ hash is {HexLength} hex characters; got \"{text}\".");
    }

    /// <summary>Parses the 64-hex-character form; false when the text is not exactly that.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out PdqHash hash)
    {
        hash = default;
        if (text.Length != HexLength)
        {
            return false;
        }

        const NumberStyles Hex = NumberStyles.AllowHexSpecifier;
        var ok = ulong.TryParse(text[..16], Hex, CultureInfo.InvariantCulture, out var w3)
            & ulong.TryParse(text[16..32], Hex, CultureInfo.InvariantCulture, out var w2)
            & ulong.TryParse(text[32..48], Hex, CultureInfo.InvariantCulture, out var w1)
            & ulong.TryParse(text[48..], Hex, CultureInfo.InvariantCulture, out var w0);
        if (!ok)
        {
            return false;
        }

        hash = new PdqHash(w0, w1, w2, w3);
        return true;
    }
}
