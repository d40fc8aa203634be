using System.Diagnostics;
using System.Globalization;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;

namespace Compliance.Bench;

/// <summary>
/// Build time, managed memory and per-call latency percentiles of <see cref="NameMatcher.Find"/> on a 2,000-character
/// prompt against 100,000 synthetic entities × 5 names: the figures behind the p99 target in bench/README.md.
/// </summary>
internal static class TextMatcherLatency
{
    private const int Calls = 50_000;

    internal static void Run()
    {
        var entities = SyntheticCatalog.Generate(100_000);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var build = Stopwatch.StartNew();
        var matcher = NameMatcher.Build(entities);
        build.Stop();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Print($"build: {build.Elapsed.TotalSeconds:F2} s, {matcher.PatternCount:N0} patterns, managed memory +{(after - before) / 1048576.0:F0} MiB");
        Print($"size: {matcher.Size.Aliases:N0} aliases, {matcher.Size.TrieNodes:N0} trie nodes, {matcher.Size.FuzzyEntries:N0} fuzzy entries");

        var prompt = $"{entities[33_333].CanonicalName} meets {entities[50_000].Aliases[0].Replace('o', '0')}: ";
        while (prompt.Length < 2_000)
        {
            prompt += "a slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt, a woman in a yellow coat walks past a noodle stall. ";
        }

        prompt = prompt[..2_000];
        for (var i = 0; i < 2_000; i++)
        {
            matcher.Find(prompt);
        }

        var samples = new double[Calls];
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var gen0 = GC.CollectionCount(0);
        for (var i = 0; i < Calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            matcher.Find(prompt);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Print($"allocated {(GC.GetAllocatedBytesForCurrentThread() - allocated) / Calls:N0} bytes per call; {GC.CollectionCount(0) - gen0} gen0 collections during the timed calls; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Array.Sort(samples);
        Print($"Find, 2,000 chars, 100,000 entities, {Calls:N0} calls: p50 {At(samples, 0.50):F1} µs, p99 {At(samples, 0.99):F1} µs, p99.9 {At(samples, 0.999):F1} µs, max {samples[^1]:F1} µs");
    }

    private static double At(double[] sorted, double quantile) => sorted[(int)Math.Min(sorted.Length - 1, quantile * sorted.Length)];

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
