using System.Buffers.Binary;

namespace Compliance.Imaging.LocalFeatures;

/// <summary>
/// ORB keypoints of one image: their positions and 256-bit binary descriptors, in the pixels of the image as it was
/// described (scaled by <see cref="Scale"/> from the decoded, border-trimmed image). Stored per reference in Postgres
/// (<see cref="ToBytes"/>, <see cref="FromBytes"/>) like the other reference features.
/// </summary>
public sealed class LocalFeatureSet
{
    /// <summary>Bytes of one ORB descriptor.</summary>
    public const int DescriptorBytes = 32;

    /// <summary>The 64-bit words of one descriptor.</summary>
    public const int DescriptorWords = DescriptorBytes / sizeof(ulong);

    private const int FormatVersion = 1;
    private const int HeaderBytes = 4 * sizeof(int) + sizeof(float);

    /// <param name="width">Width of the described image (after scaling).</param>
    /// <param name="height">Height of the described image (after scaling).</param>
    /// <param name="scale">Described pixels per decoded pixel.</param>
    /// <param name="points">x, y of each keypoint, in described pixels.</param>
    /// <param name="descriptors">Each keypoint's descriptor as <see cref="DescriptorWords"/> words.</param>
    public LocalFeatureSet(int width, int height, float scale, float[] points, ulong[] descriptors)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(descriptors);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (!(scale > 0) || !float.IsFinite(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be a positive number.");
        }

        if (points.Length % 2 != 0 || descriptors.Length != points.Length / 2 * DescriptorWords)
        {
            throw new ArgumentException($"{points.Length / 2} points but {descriptors.Length / DescriptorWords} descriptors.", nameof(descriptors));
        }

        Width = width;
        Height = height;
        Scale = scale;
        Points = points;
        Descriptors = descriptors;
    }

    public int Width { get; }

    public int Height { get; }

    public float Scale { get; }

    public float[] Points { get; }

    public ulong[] Descriptors { get; }

    /// <summary>Number of keypoints.</summary>
    public int Count => Points.Length / 2;

    /// <summary>Serialised: a small little-endian header (version, width, height, count, scale), then the points, then the descriptors.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderBytes + (Points.Length * sizeof(float)) + (Descriptors.Length * sizeof(ulong))];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], Width);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Height);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], Count);
        BinaryPrimitives.WriteSingleLittleEndian(span[16..], Scale);
        var at = HeaderBytes;
        foreach (var value in Points)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[at..], value);
            at += sizeof(float);
        }

        foreach (var word in Descriptors)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[at..], word);
            at += sizeof(ulong);
        }

        return bytes;
    }

    /// <summary>Reads <see cref="ToBytes"/>'s format.</summary>
    /// <exception cref="FormatException">The bytes are not a feature set of this format.</exception>
    public static LocalFeatureSet FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadInt32LittleEndian(bytes) != FormatVersion)
        {
            throw new FormatException("Not a local feature set of format version 1.");
        }

        var width = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        var height = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        var scale = BinaryPrimitives.ReadSingleLittleEndian(bytes[16..]);
        if (width <= 0 || height <= 0 || count < 0 || (long)bytes.Length != HeaderBytes + ((long)count * ((2 * sizeof(float)) + DescriptorBytes)))
        {
            throw new FormatException("The local feature set's header does not match its length.");
        }

        var points = new float[count * 2];
        var descriptors = new ulong[count * DescriptorWords];
        var at = HeaderBytes;
        for (var i = 0; i < points.Length; i++, at += sizeof(float))
        {
            points[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[at..]);
        }

        for (var i = 0; i < descriptors.Length; i++, at += sizeof(ulong))
        {
            descriptors[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]);
        }

        return new LocalFeatureSet(width, height, scale, points, descriptors);
    }
}
