using System.Diagnostics;
using System.Globalization;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;

namespace Compliance.Bench;

/// <summary>
/// ADR-036's A/B: the int8 MiniLM graph with its attention blocks fused (as shipped) against the same graph unfused,
/// calls interleaved (A B, B A, …) so both see the same machine, timed by the calling thread's own CPU clock — the
/// session runs on the calling thread (one intra-op thread), so the figure excludes what other processes take from
/// the core, which the process-wide CPU column of <c>--text-path-latency</c> does not (GC and JIT threads). For a
/// 300-character prompt's one window and a 2,000-character prompt's 20-word window.
/// </summary>
internal static partial class MiniLmAttentionAb
{
    internal static void Run(int calls)
    {
        using var fused = new SentenceEmbedder();
        using var unfused = new SentenceEmbedder(quantized: true, DynamicQuantizer.WeightLevels, fuseAttention: false);
        var name = SyntheticCatalog.Generate(100_000)[33_333].CanonicalName;
        const string Sentence = "A slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt, a woman in a yellow coat walks past a noodle stall. ";
        // The text-path bench's 300-character prompt, and one 20-word window of it.
        var short300 = (name + " waves while a tiny green three-eyed alien in an oversized cape aims a ray gun from a saucer. " + Sentence + Sentence)[..300];
        var window = string.Join(' ', short300.Split(' ').Take(PromptWindows.WindowWords));
        Print($"{fused.ModelVersion}; {calls} calls each, interleaved; load average {LoadAverage()}");
        foreach (var text in new[] { short300, window })
        {
            var tokens = fused.Tokenize(text);
            Print($"same vector: {fused.Embed(tokens).SequenceEqual(unfused.Embed(tokens))}");
            var pair = new[] { unfused, fused };
            var cpu = new[] { new double[calls], new double[calls] };
            var wall = new[] { new double[calls], new double[calls] };
            for (var i = 0; i < 30; i++)
            {
                fused.Embed(tokens);
                unfused.Embed(tokens);
            }

            for (var i = 0; i < calls; i++)
            {
                for (var j = 0; j < 2; j++)
                {
                    var k = (i + j) % 2;
                    var cpu0 = ThreadCpu.Milliseconds();
                    var start = Stopwatch.GetTimestamp();
                    pair[k].Embed(tokens);
                    wall[k][i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    cpu[k][i] = ThreadCpu.Milliseconds() - cpu0;
                }
            }

            foreach (var (label, k) in new[] { ("unfused (before ADR-036)", 0), ("fused (shipped)", 1) })
            {
                Array.Sort(cpu[k]);
                Array.Sort(wall[k]);
                Print($"{tokens.Ids.Length} word pieces, {label}: thread CPU p50 {cpu[k][calls / 2]:F2} p99 {cpu[k][(int)(calls * 0.99)]:F2} mean {cpu[k].Average():F2} ms; wall p50 {wall[k][calls / 2]:F2} p99 {wall[k][(int)(calls * 0.99)]:F2} ms");
            }

            Print($"fused / unfused thread CPU: p50 {cpu[1][calls / 2] / cpu[0][calls / 2]:F3}, mean {cpu[1].Average() / cpu[0].Average():F3}; load average {LoadAverage()}");
        }
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
