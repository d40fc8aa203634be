using System.Collections.Concurrent;
using System.Numerics;

namespace Compliance.Imaging.Matching;

/// <summary>
/// How a segment cuts 256 bits into m contiguous chunks, and how far a query looks in each. If a stored hash is within d
/// bits of the query and chunk c is given a radius r_c with Σ(r_c + 1) ≥ d + 1, some chunk differs by at most its r_c
/// (the generalised pigeonhole: otherwise the chunks alone would differ by at least d + 1). With r = ⌊d/m⌋ every chunk
/// gets r + 1 ≥ d/m, so m(r + 1) − (d + 1) chunks can look one bit less far (ADR-030): for radius 31 one of 11 chunks,
/// four of 12. Fewer, wider chunks mean more probes per chunk but far smaller buckets. For radius 31, 16 chunks of 16
/// bits (1 + 16 probes each) suit small segments, 12 chunks of 21–22 bits large ones, and for the largest 11 chunks: six
/// of 24 bits and four of 23 at radius 2 (1 + 24 + 276 and 1 + 23 + 253 values, about 0.6 and 1.2 entries each at 10M)
/// and one of 20 bits at radius 1 (21 values, about 10 entries each): the dominant cost is cache misses on candidates,
/// roughly values × n / 2^width per chunk, about 2,600 at 10M against 3,200 for eleven even chunks at radius 2. (A
/// segment's buckets key only the top bits of a chunk; the rest is a sub-key inside the bucket, ADR-024.)
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

    public static readonly ChunkLayout Narrow = new(Even(16));
    public static readonly ChunkLayout Wide = new(Even(12));

    /// <summary>
    /// 11 chunks: six of 24 bits, four of 23 and one of 20, the narrow one the chunk that looks one bit less far at
    /// radius 31 (ADR-030; ADR-021 had eleven of 23–24 bits).
    /// </summary>
    public static readonly ChunkLayout Widest = new([24, 24, 24, 24, 24, 24, 23, 23, 23, 23, 20]);

    /// <summary>The layout for a segment of <paramref name="count"/> entries.</summary>
    public static ChunkLayout For(int count, int wideThreshold, int widestThreshold) =>
        count >= widestThreshold ? Widest : count >= wideThreshold ? Wide : Narrow;

    private static readonly ConcurrentDictionary<(int Width, int Radius), int[]> MaskCache = new();

    private readonly int[] _offsets;
    private readonly int[] _widths;

    // Chunks in the order they give up a bit of radius: narrowest first, then the later of equal widths.
    private readonly int[] _shrinkOrder;

    private ChunkLayout(int[] widths)
    {
        if (widths.Sum() != 256 || widths.Any(w => w is < 1 or > 31))
        {
            throw new ArgumentException("Chunks must cover the 256 bits, each 1 to 31 bits wide.", nameof(widths));
        }

        Count = widths.Length;
        _widths = widths;
        _offsets = new int[Count];
        for (var c = 1; c < Count; c++)
        {
            _offsets[c] = _offsets[c - 1] + widths[c - 1];
        }

        _shrinkOrder = [.. Enumerable.Range(0, Count).OrderBy(c => widths[c]).ThenByDescending(c => c)];
    }

    // m chunks of near-equal width, the first (256 mod m) one bit wider.
    private static int[] Even(int count) =>
        [.. Enumerable.Range(0, count).Select(c => (256 / count) + (c < 256 % count ? 1 : 0))];

    public int Count { get; }

    public int Width(int chunk) => _widths[chunk];

    /// <summary>
    /// Each chunk's radius for a query within <paramref name="maxDistance"/> bits: ⌊d/m⌋, one less for the
    /// m(⌊d/m⌋ + 1) − (d + 1) narrowest chunks; −1 means the chunk is not probed at all.
    /// </summary>
    public void Radii(int maxDistance, Span<int> radii)
    {
        var radius = maxDistance / Count;
        radii[..Count].Fill(radius);
        var slack = (Count * (radius + 1)) - (maxDistance + 1);
        for (var i = 0; i < slack; i++)
        {
            radii[_shrinkOrder[i]] = radius - 1;
        }
    }

    /// <summary>The widest chunk (buckets and sub-keys are sized by it).</summary>
    public int WidestWidth => _widths.Max();

    /// <summary>The narrowest chunk.</summary>
    public int NarrowestWidth => _widths.Min();

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
