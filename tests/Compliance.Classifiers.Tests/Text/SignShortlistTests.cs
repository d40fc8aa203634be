using System.Buffers;
using System.Numerics;
using Compliance.Classifiers.Text;

namespace Compliance.Classifiers.Tests.Text;

/// <summary>
/// ADR-041 made the sign first stage (ADR-028) cheaper: one query's sign words in registers, four histograms, and a
/// vectorised pass that collects the shortlist. It must keep exactly the rows its definition names: the
/// <c>keep</c> rows closest by Hamming distance to any query, ties broken by row order, returned in row order.
/// </summary>
public sealed class SignShortlistTests
{
    private const int Words = SentenceEmbedder.Dimensions / 64;

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(15, 1, 4)]
    [InlineData(16, 1, 16)]
    [InlineData(17, 1, 5)]
    [InlineData(1_000, 1, 37)]
    [InlineData(1_000, 3, 37)]
    [InlineData(10_007, 1, 4_096)]
    [InlineData(10_007, 2, 256)]
    [InlineData(10_007, 1, 20_000)]
    public void TheShortlistIsTheClosestRowsByHammingDistanceWithTiesInRowOrder(int count, int queries, int keep)
    {
        var random = new Random(count + queries + keep);
        // Rows drawn from a few patterns with a few bits flipped, so many rows lie at the same distance: the ties are
        // where a faster pass could pick different rows.
        var patterns = Enumerable.Range(0, 5).Select(_ => RandomWords(random)).ToArray();
        var signs = new ulong[count * Words];
        for (var r = 0; r < count; r++)
        {
            var pattern = patterns[random.Next(patterns.Length)];
            for (var w = 0; w < Words; w++)
            {
                signs[(r * Words) + w] = pattern[w] ^ (random.Next(4) == 0 ? 1UL << random.Next(64) : 0);
            }
        }

        var querySigns = Enumerable.Range(0, queries).SelectMany(_ => random.Next(2) == 0 ? patterns[random.Next(patterns.Length)] : RandomWords(random)).ToArray();
        foreach (var query in new[] { -1 }.Concat(Enumerable.Range(0, queries)))
        {
            var rented = CharacterSemanticIndex.SignShortlist(signs, count, querySigns, queries, keep, out var length, query);
            try
            {
                Assert.Equal(Expected(signs, count, querySigns, queries, keep, query), rented[..length]);
            }
            finally
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    private static int[] Expected(ulong[] signs, int count, ulong[] querySigns, int queries, int keep, int query)
    {
        var chosen = query < 0 ? Enumerable.Range(0, queries) : [query];
        return [.. Enumerable.Range(0, count)
            .Select(r => (Row: r, Distance: chosen.Min(q => Enumerable.Range(0, Words).Sum(w => BitOperations.PopCount(signs[(r * Words) + w] ^ querySigns[(q * Words) + w])))))
            .OrderBy(x => x.Distance).ThenBy(x => x.Row)
            .Take(keep)
            .Select(x => x.Row)
            .Order()];
    }

    private static ulong[] RandomWords(Random random) => [.. Enumerable.Range(0, Words).Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63))];
}
