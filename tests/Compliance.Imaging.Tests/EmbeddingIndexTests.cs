using Compliance.Imaging.Embedding;

namespace Compliance.Imaging.Tests;

public sealed class EmbeddingIndexTests
{
    private static float[] Vector(int dimension, int hot, float other = 0f)
    {
        var v = Enumerable.Repeat(other, dimension).ToArray();
        v[hot] = 1f;
        return v;
    }

    [Fact]
    public void TopKReturnsTheMostSimilarFirstAboveTheMinimum()
    {
        using var index = new EmbeddingIndex(dimension: 4, initialCapacity: 1);
        index.Add(10, [1, 0, 0, 0]);
        index.Add(20, [1, 1, 0, 0]);
        index.Add(30, [0, 0, 1, 0]);
        index.Add(40, [1, 0.1f, 0, 0]);

        var matches = index.TopK([1, 0, 0, 0], k: 3, minCosine: 0.5f);

        Assert.Equal([10L, 40L, 20L], matches.Select(m => m.Id));
        Assert.Equal(1f, matches[0].Cosine, 5);
        Assert.Equal(MathF.Sqrt(0.5f), matches[2].Cosine, 5);
        Assert.Equal([10L, 40L], index.TopK([1, 0, 0, 0], k: 2).Select(m => m.Id));
        Assert.Empty(index.TopK([0, 0, 0, 1], k: 5, minCosine: 0.1f));
    }

    [Fact]
    public void AnEntryWithVariantsScoresItsBestVariant()
    {
        using var index = new EmbeddingIndex(dimension: 3, variantsPerEntry: 2);
        index.Add(1, [new float[] { 1, 0, 0 }, new float[] { 0, 1, 0 }]);
        index.Add(2, [0, 0, 1]);

        Assert.Equal(1, Assert.Single(index.TopK([0, 1, 0], k: 2, minCosine: 0.9f)).Id);
        Assert.Equal(1, Assert.Single(index.TopK([1, 0, 0], k: 2, minCosine: 0.9f)).Id);
        Assert.Equal(2, Assert.Single(index.TopK([0, 0, 1], k: 2, minCosine: 0.9f)).Id);
        Assert.Throws<ArgumentException>(() => index.Add(3, [new float[] { 1, 0, 0 }]));

        Assert.True(index.Remove(1));
        Assert.Equal(2, Assert.Single(index.TopK([0, 0, 1], k: 2, minCosine: 0.9f)).Id);
        Assert.Empty(index.TopK([0, 1, 0], k: 2, minCosine: 0.1f));
    }

    [Fact]
    public void EqualCosinesAreOrderedById()
    {
        using var index = new EmbeddingIndex(dimension: 2);
        index.Add(3, [1, 0]);
        index.Add(1, [2, 0]);
        index.Add(2, [3, 0]);

        Assert.Equal([1L, 2L], index.TopK([1, 0], k: 2).Select(m => m.Id));
    }

    [Fact]
    public void RemovedEntriesAreNotFoundAndOthersStay()
    {
        using var index = new EmbeddingIndex(dimension: 8);
        for (var i = 0; i < 8; i++)
        {
            index.Add(i, Vector(8, i));
        }

        Assert.True(index.Remove(2));
        Assert.False(index.Remove(2));
        Assert.Equal(7, index.Count);
        Assert.Empty(index.TopK(Vector(8, 2), k: 3, minCosine: 0.5f));
        for (var i = 0; i < 8; i++)
        {
            if (i != 2)
            {
                Assert.Equal(i, Assert.Single(index.TopK(Vector(8, i), k: 3, minCosine: 0.5f)).Id);
            }
        }

        index.Add(2, Vector(8, 2));
        Assert.Equal(2, Assert.Single(index.TopK(Vector(8, 2), k: 3, minCosine: 0.5f)).Id);
    }

    [Fact]
    public void DuplicateIdsWrongLengthsAndZeroVectorsAreRefused()
    {
        using var index = new EmbeddingIndex(dimension: 3);
        index.Add(1, [1, 0, 0]);

        Assert.Throws<ArgumentException>(() => index.Add(1, [0, 1, 0]));
        Assert.Throws<ArgumentException>(() => index.Add(2, [1, 0]));
        Assert.Throws<ArgumentException>(() => index.Add(3, [0, 0, 0]));
        Assert.Throws<ArgumentException>(() => index.TopK([1, 0], k: 1));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public async Task ReadersRunAlongsideAWriter()
    {
        const int Dimension = 64;
        using var index = new EmbeddingIndex(Dimension);
        for (var i = 0; i < Dimension; i++)
        {
            index.Add(i, Vector(Dimension, i, 0.01f));
        }

        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                var id = 1000 + (round % 50);
                index.Add(id, Vector(Dimension, round % Dimension, 0.5f));
                index.Remove(id);
            }
        });

        Parallel.For(0, 2000, i =>
        {
            var hot = i % Dimension;
            var best = index.TopK(Vector(Dimension, hot, 0.01f), k: 1)[0];
            Assert.Equal(hot, best.Id);
        });

        await stop.CancelAsync();
        await writer;
    }
}
