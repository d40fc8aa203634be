using System.Collections.Concurrent;
using System.Numerics;

namespace Compliance.Imaging.Matching;

/// <summary>
/// How a segment cuts 256 bits into m contiguous chunks of near-equal width. A query within d bits
/// must agree to within ⌊d/m⌋ bits on some chunk; fewer, wider chunks mean more probes per chunk but
/// far smaller buckets. For radius 31, 16 chunks of 16 bits (1 + 16 probes each) suit small segments and
/// 12 chunks of 21–22 bits (1 + 21 + 210 values within 2 bits, about 4 matching entries each at 10M) suit large ones,
/// and 11 chunks of 23–24 bits (1 + 23 + 253 values, about 1 entry each at 10M) the largest: the dominant cost is cache
/// misses on candidates, roughly values × n / 2^width. (A segment's buckets key only the top bits of a chunk; the
/// rest is a sub-key inside the bucket, ADR-024.)
/// </summary>
internal sealed class ChunkLayout
{
    /// <summary>Segments at least this large use <see cref="Wide"/>.</summary>
    public const int WideThreshold = 2 * 1024 * 1024;

    /// <summary>
    /// Segments at least this large use <see cref="Widest"/> (ADR-021; chosen when its bucket starts took 448 MB, before
    /// ADR-024 shrank them, and not re-tuned since).
    /// </summary>
    public const int WidestThreshold = 8 * 1024 * 1024;

    public static readonly ChunkLayout Narrow = new(16);
    public static readonly ChunkLayout Wide = new(12);

    /// <summary>11 chunks of 23–24 bits: 277–301 chunk values within 2 bits, about one entry each at 10M (ADR-021).</summary>
    public static readonly ChunkLayout Widest = new(11);

    /// <summary>The layout for a segment of <paramref name="count"/> entries.</summary>
    public static ChunkLayout For(int count, int wideThreshold, int widestThreshold) =>
        count >= widestThreshold ? Widest : count >= wideThreshold ? Wide : Narrow;

    private static readonly ConcurrentDictionary<(int Width, int Radius), int[]> MaskCache = new();

    private readonly int[] _offsets;
    private readonly int[] _widths;

    private ChunkLayout(int count)
    {
        Count = count;
        _offsets = new int[count];
        _widths = new int[count];
        var offset = 0;
        for (var c = 0; c < count; c++)
        {
            // The first (256 mod m) chunks take one extra bit.
            _widths[c] = (256 / count) + (c < 256 % count ? 1 : 0);
            _offsets[c] = offset;
            offset += _widths[c];
        }
    }

    public int Count { get; }

    public int Width(int chunk) => _widths[chunk];

    /// <summary>The chunk's value in the hash stored at words[4·slot .. 4·slot+3].</summary>
    public int Extract(ulong[] words, int slot, int chunk) =>
        Extract(words[4 * slot], words[(4 * slot) + 1], words[(4 * slot) + 2], words[(4 * slot) + 3], chunk);

    public int Extract(ulong w0, ulong w1, ulong w2, ulong w3, int chunk)
    {
        var bit = _offsets[chunk];
        var width = _widths[chunk];
        var index = bit >> 6;
        var shift = bit & 63;
        var value = Word(index) >> shift;
        if (shift + width > 64)
        {
            value |= Word(index + 1) << (64 - shift);
        }

        return (int)(value & ((1UL << width) - 1));

        ulong Word(int i) => i switch
        {
            0 => w0,
            1 => w1,
            2 => w2,
            _ => w3,
        };
    }

    /// <summary>Every mask of <paramref name="width"/> bits with at most <paramref name="radius"/> set, fewest first.</summary>
    public static int[] NeighbourMasks(int width, int radius) =>
        MaskCache.GetOrAdd((width, Math.Min(radius, width)), static key =>
        {
            var masks = new List<int>();
            for (var k = 0; k <= key.Radius; k++)
            {
                AddCombinations(masks, key.Width, k, 0, 0);
            }

            return [.. masks];
        });

    private static void AddCombinations(List<int> masks, int width, int remaining, int fromBit, int mask)
    {
        if (remaining == 0)
        {
            masks.Add(mask);
            return;
        }

        for (var bit = fromBit; bit <= width - remaining; bit++)
        {
            AddCombinations(masks, width, remaining - 1, bit + 1, mask | (1 << bit));
        }
    }

    /// <summary>Number of set bits in chunk difference (helper for the duplicate rule).</summary>
    public static int Distance(int a, int b) => BitOperations.PopCount((uint)(a ^ b));
}
