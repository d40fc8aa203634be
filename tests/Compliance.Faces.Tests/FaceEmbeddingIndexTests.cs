namespace Compliance.Faces.Tests;

public sealed class FaceEmbeddingIndexTests
{
    private const int Dimension = 512;

    [Fact]
    public void SearchReturnsWhatBruteForceReturns()
    {
        var random = new Random(7);
        using var index = new FaceEmbeddingIndex(Dimension, initialCapacity: 16);
        var vectors = new Dictionary<long, float[]>();
        for (long id = 0; id < 3000; id++)
        {
            var v = RandomUnit(random);
            vectors[id] = v;
            index.Add(id, v);
        }

        for (long id = 0; id < 3000; id += 7)
        {
            Assert.True(index.Remove(id));
            vectors.Remove(id);
        }

        Assert.Equal(vectors.Count, index.Count);
        for (var q = 0; q < 20; q++)
        {
            // Queries near an enrolled vector, so some hits clear a positive minimum.
            var near = vectors.ElementAt(random.Next(vectors.Count)).Value;
            var query = RandomUnit(random).Zip(near, (a, b) => (0.3f * a) + b).ToArray();
            FaceVectors.Normalize(query);

            var expected = vectors
                .Select(kv => new FaceMatch(kv.Key, FaceVectors.Cosine(query, kv.Value)))
                .Where(m => m.Cosine >= 0.05f)
                .OrderByDescending(m => m.Cosine).ThenBy(m => m.Id)
                .Take(10)
                .ToList();
            var actual = index.Search(query, 10, 0.05f);

            Assert.Equal(expected.Select(m => m.Id), actual.Select(m => m.Id));
            Assert.All(expected.Zip(actual), p => Assert.Equal(p.First.Cosine, p.Second.Cosine, 4));
        }
    }

    [Fact]
    public void AddingAnExistingIdReplacesItsEmbedding()
    {
        var random = new Random(1);
        using var index = new FaceEmbeddingIndex(Dimension);
        var first = RandomUnit(random);
        var second = RandomUnit(random);

        index.Add(42, first);
        index.Add(42, second);

        Assert.Equal(1, index.Count);
        Assert.Equal(1f, Assert.Single(index.Search(second, 5)).Cosine, 4);
    }

    [Fact]
    public void RemovingAnUnknownIdReportsFalse()
    {
        using var index = new FaceEmbeddingIndex(Dimension);

        Assert.False(index.Remove(9));
    }

    [Fact]
    public void RejectsAnEmbeddingOfTheWrongLength()
    {
        using var index = new FaceEmbeddingIndex(Dimension);

        Assert.Throws<ArgumentException>(() => index.Add(1, new float[128]));
    }

    [Fact]
    public void SearchesConcurrentlyWithWrites()
    {
        var random = new Random(3);
        using var index = new FaceEmbeddingIndex(Dimension);
        var probe = RandomUnit(random);
        index.Add(-1, probe);
        var extra = Enumerable.Range(0, 2000).Select(_ => RandomUnit(random)).ToArray();

        Parallel.Invoke(
            () =>
            {
                for (var i = 0; i < extra.Length; i++)
                {
                    index.Add(i, extra[i]);
                }
            },
            () =>
            {
                for (var i = 0; i < 200; i++)
                {
                    Assert.Equal(-1, index.Search(probe, 1)[0].Id);
                }
            });

        Assert.Equal(2001, index.Count);
    }

    internal static float[] RandomUnit(Random random)
    {
        var v = new float[Dimension];
        for (var i = 0; i < v.Length; i++)
        {
            // Sum of uniforms: close enough to Gaussian for random directions.
            v[i] = (float)(random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5);
        }

        FaceVectors.Normalize(v);
        return v;
    }
}
