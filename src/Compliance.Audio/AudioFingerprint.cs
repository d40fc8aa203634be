using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Compliance.Audio;

/// <summary>
/// A Chromaprint fingerprint: one 32-bit sub-fingerprint per <see cref="ItemSeconds"/> of audio, and the SHA-256 of those
/// values (little-endian uint32s, in order). This is all that is kept of a recording — never the audio itself.
/// </summary>
public sealed class AudioFingerprint
{
    /// <summary>
    /// Time between consecutive sub-fingerprints: Chromaprint resamples to 11,025 Hz and steps 4,096-sample frames by a
    /// third of a frame, so 4096 / 3 / 11025 s.
    /// </summary>
    public const double ItemSeconds = 4096.0 / 3.0 / 11025.0;

    public AudioFingerprint(IReadOnlyList<uint> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = [.. values];
        Sha256 = HashOf(Values);
    }

    public IReadOnlyList<uint> Values { get; }

    /// <summary>Lower-case hex SHA-256 of the values, for the decision log and for de-duplicating references.</summary>
    public string Sha256 { get; }

    /// <summary>The audio time the fingerprint covers, in seconds.</summary>
    public double DurationSeconds => Values.Count * ItemSeconds;

    internal static string HashOf(IReadOnlyList<uint> values)
    {
        var bytes = new byte[values.Count * sizeof(uint)];
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * sizeof(uint)), values[i]);
        }

        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
