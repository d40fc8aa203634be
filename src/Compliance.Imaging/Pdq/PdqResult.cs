namespace Compliance.Imaging.Pdq;

/// <summary>A PDQ hash with the quality score (0..100) of the image it came from.</summary>
/// <remarks>Quality below <see cref="PdqHasher.MatchableQuality"/> means the image is too flat for the
/// hash to be meaningful (the reference advises not to match such hashes).</remarks>
public readonly record struct PdqResult(PdqHash Hash, int Quality)
{
    /// <summary>Whether the quality is high enough for the hash to be used for matching.</summary>
    public bool IsMatchable => Quality >= PdqHasher.MatchableQuality;
}

/// <summary>Which of the eight dihedral transforms (rotations and mirrors) of an image a hash is for.</summary>
public enum PdqDihedral
{
    /// <summary>The image as given.</summary>
    Original = 0,

    /// <summary>Rotated 90° (the reference's "rotate90").</summary>
    Rotate90 = 1,

    /// <summary>Rotated 180°.</summary>
    Rotate180 = 2,

    /// <summary>Rotated 270°.</summary>
    Rotate270 = 3,

    /// <summary>Mirrored left-right (the reference's "flipx").</summary>
    FlipX = 4,

    /// <summary>Mirrored top-bottom (the reference's "flipy").</summary>
    FlipY = 5,

    /// <summary>Transposed about the main diagonal (the reference's "flipplus1").</summary>
    FlipPlus1 = 6,

    /// <summary>Transposed about the anti-diagonal (the reference's "flipminus1").</summary>
    FlipMinus1 = 7,
}

/// <summary>The hashes of all eight dihedral transforms of one image, computed from a single DCT.</summary>
public sealed class PdqDihedralResult
{
    private readonly PdqHash[] _hashes;

    internal PdqDihedralResult(PdqHash[] hashes, int quality)
    {
        _hashes = hashes;
        Quality = quality;
    }

    /// <summary>Quality score (0..100); the same for every transform.</summary>
    public int Quality { get; }

    /// <summary>The hash of one transform.</summary>
    public PdqHash this[PdqDihedral transform] => _hashes[(int)transform];

    /// <summary>All eight hashes, in <see cref="PdqDihedral"/> order.</summary>
    public IReadOnlyList<PdqHash> Hashes => _hashes;
}
