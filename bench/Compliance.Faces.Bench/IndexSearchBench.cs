using System.Diagnostics;
using System.Globalization;

namespace Compliance.Faces.Bench;

/// <summary>
/// Top-10 search with a cosine floor over N random unit 512-d embeddings: <see cref="Compliance.Imaging.Embedding.EmbeddingIndex"/> vs a naive
/// LINQ scan over a List of float[] in the same process, answers compared. A custom Stopwatch loop so every query's
/// latency is kept for p50/p99.
/// </summary>
internal static class IndexSearchBench
{
    private const int Dimension = 512;
    private const int Queries = 1_000;
    private const int BaselineQueries = 50;
    private const int K = 10;
    private const float MinCosine = 0.35f;

    public static void Run(int size)
    {
        var random = new Random(11);
        using var index = new Compliance.Imaging.Embedding.EmbeddingIndex(Dimension, 1, size);
        var naive = new List<(long Id, float[] Vector)>(size);
        var build = Stopwatch.StartNew();
        for (long id = 0; id < size; id++)
        {
            var v = RandomUnit(random);
            index.Add(id, v);
            naive.Add((id, v));
        }

        build.Stop();

        // Half the queries are near-duplicates of an enrolled vector (a hit above MinCosine), half are not.
        var queries = new float[Queries][];
        for (var q = 0; q < Queries; q++)
        {
            var query = RandomUnit(random);
            if (q % 2 == 0)
            {
                var near = naive[random.Next(size)].Vector;
                for (var i = 0; i < Dimension; i++)
                {
                    query[i] = near[i] + (0.5f * query[i]);
                }

                FaceVectors.Normalize(query);
            }

            queries[q] = query;
        }

        for (var q = 0; q < 20; q++)
        {
            index.TopK(queries[q], K, MinCosine);
        }

        var latencies = new double[Queries];
        var hits = 0;
        for (var q = 0; q < Queries; q++)
        {
            var start = Stopwatch.GetTimestamp();
            hits += index.TopK(queries[q], K, MinCosine).Count;
            latencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        var baseline = new double[BaselineQueries];
        var mismatches = 0;
        for (var q = 0; q < BaselineQueries; q++)
        {
            var query = queries[q];
            var start = Stopwatch.GetTimestamp();
            var expected = naive
                .Select(e => (e.Id, Cosine: e.Vector.Zip(query, (a, b) => a * b).Sum()))
                .Where(m => m.Cosine >= MinCosine)
                .OrderByDescending(m => m.Cosine)
                .Take(K)
                .Select(m => m.Id)
                .ToList();
            baseline[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (!expected.SequenceEqual(index.TopK(query, K, MinCosine).Select(m => m.Id)))
            {
                mismatches++;
            }
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"N={size:N0} dim={Dimension} build={build.Elapsed.TotalSeconds:0.0}s matrix={(long)size * Dimension * 4 / 1048576.0:0} MiB hits={hits}"));
        Console.WriteLine(Line("EmbeddingIndex", latencies));
        Console.WriteLine(Line("naive LINQ", baseline));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mismatches vs LINQ: {mismatches}/{BaselineQueries}"));
    }

    private static string Line(string name, double[] ms)
    {
        var sorted = ms.Order().ToArray();
        double P(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{name,-20} queries={ms.Length,5} p50={P(0.5):0.00} ms p99={P(0.99):0.00} ms max={sorted[^1]:0.00} ms mean={ms.Average():0.00} ms");
    }

    private static float[] RandomUnit(Random random)
    {
        var v = new float[Dimension];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)(random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5);
        }

        FaceVectors.Normalize(v);
        return v;
    }
}
