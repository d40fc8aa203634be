using System.Diagnostics;
using System.Globalization;

namespace Compliance.Faces.Bench;

/// <summary>
/// <see cref="FaceSearchIndex"/> at N enrolled faces: the approximate search (IVF over 1-bit rows, exact float re-rank)
/// against the exact float scan of the same index in the same process — latency, recall@10, and the recall of the
/// decision (the same top-1 face at or above <see cref="FaceMatchThresholds.ReviewFrom"/>, or none in both). Two data
/// sets: random unit vectors (the worst case for any partitioning) and identities (faces scattered around identity
/// centres, four per person, as real embeddings cluster by person).
/// </summary>
internal static class FaceSearchBench
{
    private const int Dimension = 512;
    private const int K = 10;
    private const float MinCosine = FaceMatchThresholds.ReviewFrom;

    public static void Run(int size, int queries, int exactQueries, string[] probes, string[] dataSets)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"N={size:N0} dim={Dimension} queries={queries} (exact baseline on the first {exactQueries}) cores={Environment.ProcessorCount}"));
        foreach (var data in dataSets)
        {
            RunOne(size, queries, exactQueries, probes, data);
        }
    }

    private static void RunOne(int size, int queryCount, int exactQueries, string[] probes, string data)
    {
        var random = new Random(data == "random" ? 11 : 12);
        GC.Collect();
        var before = GC.GetTotalMemory(true);
        var index = new FaceSearchIndex(Dimension, new FaceSearchOptions(), size);
        var watch = Stopwatch.StartNew();

        // Identities: 4 faces per person, each at cosine ≈ 0.8 from the person's centre (≈ 0.64 between two faces of one
        // person, like genuine pairs of the face model); queries are a fresh face of an enrolled person, or of a stranger.
        // Random: queries are near-duplicates (cosine ≈ 0.89) of an enrolled vector, or unrelated.
        var people = data == "identities" ? size / 4 : 0;
        var centres = new float[people][];
        for (var p = 0; p < people; p++)
        {
            centres[p] = RandomUnit(random);
        }

        var targets = new Dictionary<long, float[]>();
        var targetIds = Enumerable.Range(0, queryCount).Select(_ => (long)random.Next(size)).ToHashSet();
        for (long id = 0; id < size; id++)
        {
            var v = people > 0 ? Around(centres[id / 4], 0.8f, random) : RandomUnit(random);
            index.Add(id, v);
            if (targetIds.Contains(id))
            {
                targets[id] = v;
            }
        }

        var load = watch.Elapsed.TotalSeconds;
        watch.Restart();
        index.Rebuild();
        var rebuild = watch.Elapsed.TotalSeconds;
        GC.Collect();
        var bytes = GC.GetTotalMemory(true) - before;

        var targetList = targets.Keys.Order().ToArray();
        var queries = new float[queryCount][];
        for (var q = 0; q < queryCount; q++)
        {
            var target = targetList[q % targetList.Length];
            queries[q] = q % 2 == 1
                ? RandomUnit(random)
                : people > 0 ? Around(centres[target / 4], 0.8f, random) : Near(targets[target], random);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data={data} load={load:0.0}s rebuild={rebuild:0.0}s lists={index.ListCount} approximate={index.IsApproximate} managed={bytes / 1048576.0:0} MiB ({(double)bytes / size:0} B per face)"));

        var exact = new IReadOnlyList<Imaging.Embedding.EmbeddingMatch>[exactQueries];
        var exactMs = new double[exactQueries];
        for (var q = 0; q < exactQueries; q++)
        {
            var start = Stopwatch.GetTimestamp();
            exact[q] = index.ExactTopK(queries[q], K, MinCosine);
            exactMs[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Console.WriteLine(Line("exact float scan (baseline)", exactMs, ""));
        foreach (var setting in probes)
        {
            // "probes[:prefilter[:rerank]]", 0 or absent = the shipped default.
            var parts = setting.Split(':').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            int? Part(int i) => parts.Length > i && parts[i] > 0 ? parts[i] : null;
            index.ProbedLists = Part(0);
            index.PrefilterOverride = Part(1);
            index.RerankOverride = Part(2);
            var probed = index;
            var ms = new double[queryCount];
            var answers = new IReadOnlyList<Imaging.Embedding.EmbeddingMatch>[queryCount];

            // Warm up until the JIT has settled (tiered compilation promotes a method after 30 calls and a quiet 100 ms):
            // at least 200 searches and 1 s, so that the timed queries measure the steady state a long-running node has.
            var warm = Stopwatch.StartNew();
            for (var q = 0; q < 200 || warm.ElapsedMilliseconds < 1_000; q++)
            {
                probed.TopK(queries[q % queryCount], K, MinCosine);
            }

            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            for (var q = 0; q < queryCount; q++)
            {
                var start = Stopwatch.GetTimestamp();
                answers[q] = probed.TopK(queries[q], K, MinCosine);
                ms[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / queryCount;

            int found = 0, relevant = 0, decisions = 0, samePerson = 0, matchesExpected = 0;
            long Person(long id) => data == "identities" ? id / 4 : id;
            for (var q = 0; q < exactQueries; q++)
            {
                var truth = exact[q].Select(m => m.Id).ToHashSet();
                relevant += truth.Count;
                found += answers[q].Count(m => truth.Contains(m.Id));
                var sameDecision = exact[q].Count == 0 ? answers[q].Count == 0 : answers[q].Count > 0 && answers[q][0].Id == exact[q][0].Id;
                decisions += sameDecision ? 1 : 0;
                samePerson += (exact[q].Count == 0 ? answers[q].Count == 0
                    : answers[q].Count > 0 && Person(answers[q][0].Id) == Person(exact[q][0].Id)
                        && FaceMatchThresholds.Classify(answers[q][0].Cosine) == FaceMatchThresholds.Classify(exact[q][0].Cosine)) ? 1 : 0;
                matchesExpected += exact[q].Count > 0 ? 1 : 0;
            }

            var name = string.Create(CultureInfo.InvariantCulture,
                $"IVF {(Part(0) is { } lists ? $"{lists}" : "default")} of {index.ListCount} lists, prefilter {(Part(1)?.ToString(CultureInfo.InvariantCulture) ?? "default")}, re-rank {(Part(2)?.ToString(CultureInfo.InvariantCulture) ?? "default")}");
            Console.WriteLine(Line(name, ms, string.Create(CultureInfo.InvariantCulture,
                $" cpu/query={cpuMs:0.000} ms recall@{K}={(relevant == 0 ? 1 : (double)found / relevant):0.0000} same top-1 face={(double)decisions / exactQueries:0.0000} decision (person and band)={(double)samePerson / exactQueries:0.0000} ({matchesExpected} of {exactQueries} queries have an exact match ≥ {MinCosine})")));
        }

        index.Dispose();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  peak working set so far: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MiB"));
    }

    private static string Line(string name, double[] ms, string tail)
    {
        var sorted = ms.Order().ToArray();
        double P(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        return string.Create(CultureInfo.InvariantCulture,
            $"  {name,-30} p50={P(0.5),7:0.000} ms p99={P(0.99),7:0.000} ms max={sorted[^1],7:0.000} ms{tail}");
    }

    private static float[] Around(float[] centre, float cosine, Random random)
    {
        var noise = RandomUnit(random);
        var v = new float[Dimension];
        var spread = MathF.Sqrt(1 - (cosine * cosine));
        for (var i = 0; i < Dimension; i++)
        {
            v[i] = (cosine * centre[i]) + (spread * noise[i]);
        }

        FaceVectors.Normalize(v);
        return v;
    }

    private static float[] Near(float[] vector, Random random)
    {
        var query = RandomUnit(random);
        for (var i = 0; i < Dimension; i++)
        {
            query[i] = vector[i] + (0.5f * query[i]);
        }

        FaceVectors.Normalize(query);
        return query;
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
