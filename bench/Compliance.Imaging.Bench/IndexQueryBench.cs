using System.Diagnostics;
using System.Globalization;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Bench;

/// <summary>
/// Radius-31 queries against N random hashes plus planted near-duplicates, timed one query at a time
/// with a plain Stopwatch loop (BenchmarkDotNet would rebuild a multi-gigabyte index per run).
/// </summary>
internal static class IndexQueryBench
{
    private const int Radius = 31;
    private const int QueryCount = 2_000;
    private const int LinearQueryCount = 40;
    private const int PlantedQueries = 1_000;

    public static void Run(int size)
    {
        var random = new Random(42);
        var hashes = new PdqHash[size];
        for (var i = 0; i < size; i++)
        {
            hashes[i] = RandomHash(random);
        }

        // Half the queries have one planted neighbour at each distance 0..31 (32 per query); the rest are random.
        var queries = new PdqHash[QueryCount];
        var next = 0;
        for (var q = 0; q < QueryCount; q++)
        {
            queries[q] = RandomHash(random);
            if (q < PlantedQueries)
            {
                for (var d = 0; d < 32 && next < size; d++)
                {
                    hashes[next++] = AtDistance(queries[q], d, random);
                }
            }
        }

        var ids = new long[size];
        for (var i = 0; i < size; i++)
        {
            ids[i] = i;
        }

        var buildClock = Stopwatch.StartNew();
        var mih = new PdqIndex();
        mih.AddRange(ids, hashes);
        var mihBuild = buildClock.Elapsed;

        buildClock.Restart();
        using var linear = new LinearScanIndex();
        for (var i = 0; i < size; i++)
        {
            linear.Add(ids[i], hashes[i]);
        }

        var linearBuild = buildClock.Elapsed;
        var managedBytes = GC.GetTotalMemory(forceFullCollection: true);

        // Warm up, then time every query.
        for (var q = 0; q < 50; q++)
        {
            _ = mih.Query(queries[q], Radius);
        }

        var mihTimes = new double[QueryCount];
        long found = 0;
        for (var q = 0; q < QueryCount; q++)
        {
            var start = Stopwatch.GetTimestamp();
            found += mih.Query(queries[q], Radius).Count;
            mihTimes[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        // The linear scan is ~N·1 ns per query, so time a spread subset (planted and random) and check equality.
        var linearTimes = new double[LinearQueryCount];
        var mismatches = 0;
        for (var k = 0; k < LinearQueryCount; k++)
        {
            var q = k * (QueryCount / LinearQueryCount);
            var start = Stopwatch.GetTimestamp();
            var expected = linear.Query(queries[q], Radius);
            linearTimes[k] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (!expected.SequenceEqual(mih.Query(queries[q], Radius)))
            {
                mismatches++;
            }
        }

        Array.Sort(mihTimes);
        Array.Sort(linearTimes);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"""
            N={size:N0} radius={Radius} queries={QueryCount} (planted {PlantedQueries}) matches found={found:N0}
              build: MIH AddRange {mihBuild.TotalSeconds:F1} s, linear {linearBuild.TotalSeconds:F1} s; managed heap {managedBytes / (1024.0 * 1024 * 1024):F2} GiB (both indexes + inputs)
              MIH    query ms: p50 {Percentile(mihTimes, 0.50):F3}  p90 {Percentile(mihTimes, 0.90):F3}  p99 {Percentile(mihTimes, 0.99):F3}  max {mihTimes[^1]:F3}  mean {mihTimes.Average():F3}
              linear query ms: p50 {Percentile(linearTimes, 0.50):F3}  p99 {Percentile(linearTimes, 0.99):F3}  mean {linearTimes.Average():F3}  ({LinearQueryCount} queries)
              speed-up at p50: {Percentile(linearTimes, 0.50) / Percentile(mihTimes, 0.50):F0}x, at p99: {Percentile(linearTimes, 0.99) / Percentile(mihTimes, 0.99):F0}x; MIH vs linear mismatches: {mismatches}/{LinearQueryCount}
            """));
        GC.KeepAlive(hashes);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static PdqHash RandomHash(Random random) =>
        new((ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63),
            (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63));

    private static PdqHash AtDistance(PdqHash hash, int distance, Random random)
    {
        var flipped = new HashSet<int>();
        while (flipped.Count < distance)
        {
            var bit = random.Next(PdqHash.BitCount);
            if (flipped.Add(bit))
            {
                hash = hash.FlipBit(bit);
            }
        }

        return hash;
    }
}
