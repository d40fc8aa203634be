using System.Diagnostics;
using System.Globalization;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;

namespace Compliance.Bench;

/// <summary>
/// The in-process screening path of one prompt, without the database: the licensed-character
/// classifier turns matches into signals, and the shipped policy set decides. Throughput and per-call
/// p50/p99 for catalogs of 1,000 and 100,000 characters × 5 names and prompts of 100 and 2,000 characters.
/// </summary>
internal static class ScreeningLatency
{
    private const int Calls = 20_000;

    private sealed class FixedSource(NameMatcher matcher) : INameMatcherSource
    {
        public NameMatcher Current => matcher;
    }

    internal static void Run(string policiesDirectory)
    {
        var policies = PolicyLoader.LoadDirectory(policiesDirectory).Set ?? throw new InvalidOperationException("policies did not load");
        Print($"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {System.Runtime.GCSettings.LatencyMode}");
        Console.WriteLine("| characters | prompt chars | signals | throughput (prompts/s, 1 thread) | p50 µs | p99 µs | p99.9 µs | allocated bytes per call | gen0/gen1/gen2 GCs during the timed calls |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var size in new[] { 1_000, 100_000 })
        {
            var entities = SyntheticCatalog.Generate(size);
            var classifier = new NameClassifier(new FixedSource(NameMatcher.Build(entities)));
            foreach (var length in new[] { 100, 2_000 })
            {
                var prompt = Prompt(entities, length);
                var samples = new double[Calls];
                var signals = 0;
                long allocated = 0;
                int[] gcs = [];
                for (var i = -20_000; i < Calls; i++)
                {
                    if (i == 0)
                    {
                        allocated = GC.GetAllocatedBytesForCurrentThread();
                        gcs = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
                    }

                    var start = Stopwatch.GetTimestamp();
                    var found = classifier.ClassifyAsync(prompt, CancellationToken.None).Result;
                    var facts = found.Select(s => new GrantFact(s.Entity!, GrantState.None)).ToList();
                    var decision = PolicyEngine.Evaluate(policies, new PolicyInput("prompt", found, facts));
                    if (i >= 0)
                    {
                        samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                        signals = decision.Reasons.Count;
                    }
                }

                var perCall = (GC.GetAllocatedBytesForCurrentThread() - allocated) / Calls;
                var collections = $"{GC.CollectionCount(0) - gcs[0]}/{GC.CollectionCount(1) - gcs[1]}/{GC.CollectionCount(2) - gcs[2]}";
                Array.Sort(samples);
                var throughput = Calls / (samples.Sum() / 1e6);
                Print($"| {size:N0} | {length:N0} | {signals} | {throughput:N0} | {At(samples, 0.50):F1} | {At(samples, 0.99):F1} | {At(samples, 0.999):F1} | {perCall:N0} | {collections} |");
            }
        }
    }

    private static string Prompt(IReadOnlyList<Compliance.Classifiers.Text.NamedEntity> entities, int length)
    {
        var prompt = $"{entities[entities.Count / 3].CanonicalName} meets {entities[entities.Count / 2].Aliases[0].Replace('o', '0')} ";
        while (prompt.Length < length)
        {
            prompt += "a slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt, a woman in a yellow coat walks past. ";
        }

        return prompt[..length];
    }

    private static double At(double[] sorted, double quantile) => sorted[(int)Math.Min(sorted.Length - 1, quantile * sorted.Length)];

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
