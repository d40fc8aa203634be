using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Compliance.Imaging.Matching;
using Compliance.Imaging.Pdq;

namespace Compliance.Imaging.Bench;

/// <summary>
/// Radius-31 queries against N random hashes plus planted near-duplicates, timed one query at a time
/// with a plain Stopwatch loop (BenchmarkDotNet would rebuild a multi-gigabyte index per run).
/// </summary>
internal static partial class IndexQueryBench
{
    private const int Radius = 31;
    private const int QueryCount = 2_000;
    private const int LinearQueryCount = 40;
    private const int PlantedQueries = 1_000;

    public static void Run(int size)
    {
        // Nothing but the MIH index survives its build: the inputs are regenerated (same seed) for the linear scan, so
        // the resident size after the build is the index's (plus the runtime), not the benchmark's.
        var (hashes, queries) = Generate(size);
        var ids = new long[size];
        for (var i = 0; i < size; i++)
        {
            ids[i] = i;
        }

        // PDQ_INDEX_BUCKET_LOG2 tries another bucket size (log2 of the entries a bucket aims to hold; ADR-024).
        var bucketLog2 = int.TryParse(Environment.GetEnvironmentVariable("PDQ_INDEX_BUCKET_LOG2"), CultureInfo.InvariantCulture, out var b)
            ? b
            : Segment.DefaultEntriesPerBucketLog2;
        var rssBefore = Resident().Current;
        var buildClock = Stopwatch.StartNew();
        var buildCpu = ProcessCpuMs();
        var mih = new PdqIndex(PdqIndex.DefaultBufferCapacity, ChunkLayout.WideThreshold, ChunkLayout.WidestThreshold, bucketLog2);
        mih.AddRange(ids, hashes);
        var mihBuild = buildClock.Elapsed;
        buildCpu = ProcessCpuMs() - buildCpu;
        var buildPeak = Resident().Peak;
        hashes = null;
        ids = null;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var rssAfterBuild = Resident().Current;
        var indexBytes = GC.GetTotalMemory(forceFullCollection: true);
        var hugePages = HugePageBytes();

        (hashes, _) = Generate(size);
        buildClock.Restart();
        using var linear = new LinearScanIndex();
        for (var i = 0; i < size; i++)
        {
            linear.Add(i, hashes[i]);
        }

        var linearBuild = buildClock.Elapsed;

        // Warm up, then time every query.
        for (var q = 0; q < 50; q++)
        {
            _ = mih.Query(queries[q], Radius);
        }

        // Wall time per query, and the querying thread's CPU time: on a shared machine the first counts the waits for a
        // core, the second only the query's own work (what a quiet machine would see, bar cache pollution).
        var mihTimes = new double[QueryCount];
        var mihCpu = new double[QueryCount];
        long found = 0;
        for (var q = 0; q < QueryCount; q++)
        {
            var cpuStart = ThreadCpuMs();
            var start = Stopwatch.GetTimestamp();
            found += mih.Query(queries[q], Radius).Count;
            mihTimes[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            mihCpu[q] = ThreadCpuMs() - cpuStart;
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
        Array.Sort(mihCpu);
        Array.Sort(linearTimes);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"""
            N={size:N0} radius={Radius} queries={QueryCount} (planted {PlantedQueries}) matches found={found:N0}
              bucket size 2^{bucketLog2}; build: MIH AddRange {mihBuild.TotalSeconds:F1} s wall, {buildCpu / 1000:F1} s CPU (all threads); linear {linearBuild.TotalSeconds:F1} s; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}
              MIH memory: managed heap {indexBytes / GiB:F2} GiB after build (index only); RSS {rssBefore / GiB:F2} GiB before build (inputs), peak {buildPeak / GiB:F2} GiB during build, {rssAfterBuild / GiB:F2} GiB after build with the inputs dropped ({hugePages / GiB:F2} GiB of it in transparent huge pages)
              MIH    query CPU ms: p50 {Percentile(mihCpu, 0.50):F3}  p90 {Percentile(mihCpu, 0.90):F3}  p99 {Percentile(mihCpu, 0.99):F3}  max {mihCpu[^1]:F3}  mean {mihCpu.Average():F3} ({1000 / mihCpu.Average():F0} lookups/s per core)
              MIH    query wall ms: p50 {Percentile(mihTimes, 0.50):F3}  p90 {Percentile(mihTimes, 0.90):F3}  p99 {Percentile(mihTimes, 0.99):F3}  max {mihTimes[^1]:F3}  mean {mihTimes.Average():F3}
              linear query ms: p50 {Percentile(linearTimes, 0.50):F3}  p99 {Percentile(linearTimes, 0.99):F3}  mean {linearTimes.Average():F3}  ({LinearQueryCount} queries)
              speed-up at p50: {Percentile(linearTimes, 0.50) / Percentile(mihTimes, 0.50):F0}x, at p99: {Percentile(linearTimes, 0.99) / Percentile(mihTimes, 0.99):F0}x; MIH vs linear mismatches: {mismatches}/{LinearQueryCount}
            """));
        GC.KeepAlive(hashes);
    }

    // CLOCK_THREAD_CPUTIME_ID: this thread's CPU time, in milliseconds.
    private static unsafe double ThreadCpuMs()
    {
        long* timespec = stackalloc long[2];
        return ClockGetTime(3, timespec) == 0 ? (timespec[0] * 1e3) + (timespec[1] / 1e6) : throw new InvalidOperationException("clock_gettime failed.");
    }

    // CLOCK_PROCESS_CPUTIME_ID: every thread of this process (the build runs chunks in parallel), in milliseconds.
    private static unsafe double ProcessCpuMs()
    {
        long* timespec = stackalloc long[2];
        return ClockGetTime(2, timespec) == 0 ? (timespec[0] * 1e3) + (timespec[1] / 1e6) : throw new InvalidOperationException("clock_gettime failed.");
    }

    private static long HugePageBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/smaps_rollup"))
        {
            if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            {
                return long.Parse(line[14..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static unsafe partial int ClockGetTime(int clock, long* timespec);

    private const double GiB = 1024.0 * 1024 * 1024;

    private static (PdqHash[] Hashes, PdqHash[] Queries) Generate(int size)
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

        return (hashes, queries);
    }

    // VmRSS and VmHWM (the peak) of this process, in bytes.
    private static (long Current, long Peak) Resident()
    {
        long current = 0, peak = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal) || line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kib = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                (current, peak) = line[2] == 'R' ? (kib, peak) : (current, kib);
            }
        }

        return (current, peak);
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
