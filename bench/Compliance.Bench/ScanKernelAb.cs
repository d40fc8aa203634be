#if !AB_BASE
using System.Globalization;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;

namespace Compliance.Bench;

/// <summary>
/// ADR-051's same-run A/B of the description scan alone at 100,000 characters (one int8 row each, 38 MB): every dot
/// kernel this machine runs, with and without prefetching the shortlist's rows, taking turns call by call on one
/// thread. Each call searches with the next of 1,000 random windows, so its 4,096 shortlisted rows are as cold as a
/// new prompt's. Each round the last query's hits under the first and the last configuration are compared (the bench
/// stops if they differ): the kernels and the prefetch change when bytes arrive and how they are multiplied, never a
/// score.
/// </summary>
internal static class ScanKernelAb
{
    internal static void Run(int calls)
    {
        var random = new Random(5);
        var entities = SyntheticCatalog.Generate(100_000);
        var index = CharacterSemanticIndex.Build(entities.Select(e => new CharacterVectors(e, [TextPathLatency.RandomUnit(random)])));
        var windows = Enumerable.Range(0, 1_000).Select(_ => new[] { TextPathLatency.RandomUnit(random) }).ToArray();
        var configs = Enum.GetValues<CharacterSemanticIndex.DotKernel>()
            .Where(k => k != CharacterSemanticIndex.DotKernel.Scalar && CharacterSemanticIndex.Supports(k))
            .SelectMany(k => new[] { (Kernel: k, Ahead: 0), (Kernel: k, Ahead: 8), (Kernel: k, Ahead: 16) })
            .ToArray();
        var cpu = configs.Select(_ => new double[calls]).ToArray();
        var kernel = CharacterSemanticIndex.Kernel;
        var ahead = CharacterSemanticIndex.PrefetchAhead;
        try
        {
            var next = 0;
            for (var i = -100; i < calls; i++)
            {
                for (var k = 0; k < configs.Length; k++)
                {
                    // The next window each call (never the one another configuration just warmed).
                    var query = windows[next++ % windows.Length];
                    CharacterSemanticIndex.Kernel = configs[k].Kernel;
                    CharacterSemanticIndex.PrefetchAhead = configs[k].Ahead;
                    var cpu0 = ThreadCpu.Milliseconds();
                    GC.KeepAlive(index.Search(query, 0.1f, 5));
                    var spent = ThreadCpu.Milliseconds() - cpu0;
                    if (i >= 0)
                    {
                        cpu[k][i] = spent;
                    }
                }

                // The round's last query under the first and the last configuration: the same hits, bit for bit.
                var check = windows[(next - 1) % windows.Length];
                if (!Search(index, check, configs[0]).SequenceEqual(Search(index, check, configs[^1])))
                {
                    throw new InvalidOperationException("Two scan configurations disagree on a query's hits.");
                }
            }
        }
        finally
        {
            CharacterSemanticIndex.Kernel = kernel;
            CharacterSemanticIndex.PrefetchAhead = ahead;
        }

        Print($"description scan, 100,000 characters x 1 row, shortlist {CharacterSemanticIndex.DefaultShortlistRows} rows, {calls} calls per configuration taking turns, thread CPU, a fresh window each call; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| dot kernel | prefetch (characters ahead) | p50 ms | p99 ms | mean ms | p50 vs the first row |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var sortedCpu = cpu.Select(c => c.Order().ToArray()).ToArray();
        var baseline = sortedCpu[0][calls / 2];
        for (var k = 0; k < configs.Length; k++)
        {
            var sorted = sortedCpu[k];
            Print($"| {configs[k].Kernel} | {configs[k].Ahead} | {sorted[calls / 2]:F3} | {sorted[Math.Min(calls - 1, (int)(calls * 0.99))]:F3} | {sorted.Average():F3} | {sorted[calls / 2] / baseline:F2} |");
        }
    }

    private static IReadOnlyList<SemanticHit> Search(CharacterSemanticIndex index, float[][] query, (CharacterSemanticIndex.DotKernel Kernel, int Ahead) config)
    {
        CharacterSemanticIndex.Kernel = config.Kernel;
        CharacterSemanticIndex.PrefetchAhead = config.Ahead;
        return index.Search(query, 0.1f, 5);
    }

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
#endif
