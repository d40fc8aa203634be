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
        // The text-path bench's 300-character prompt, and one 20-word window of it.
        var short300 = Short300();
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

#if !AB_BASE
    /// <summary>
    /// ONNX Runtime's own per-operator profile of the shipped int8 graph on the 300-character prompt's one window:
    /// kernel time per operator type, per call, and its share of the session's run time (what is not in a kernel is
    /// the session's own overhead between kernels).
    /// </summary>
    internal static void Profile(int calls)
    {
        var prefix = Path.Combine(Path.GetTempPath(), "minilm-profile");
        string file;
        int pieces;
        using (var embedder = new SentenceEmbedder(quantized: true, DynamicQuantizer.WeightLevels, profilePrefix: prefix))
        {
            var tokens = embedder.Tokenize(Short300());
            pieces = tokens.Ids.Length;
            for (var i = 0; i < calls; i++)
            {
                embedder.Embed(tokens);
            }

            file = embedder.EndProfiling();
        }

        using var trace = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        var kernels = new Dictionary<string, (double Us, int Count)>();
        double runs = 0;
        var runCount = 0;
        foreach (var e in trace.RootElement.EnumerateArray())
        {
            var name = e.GetProperty("name").GetString() ?? "";
            var cat = e.TryGetProperty("cat", out var c) ? c.GetString() : null;
            var dur = e.TryGetProperty("dur", out var d) ? d.GetDouble() : 0;
            if (cat == "Session" && name == "model_run")
            {
                runs += dur;
                runCount++;
            }
            else if (cat == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal) && e.TryGetProperty("args", out var a)
                     && a.TryGetProperty("op_name", out var op))
            {
                var key = op.GetString() ?? "?";
                var (us, count) = kernels.GetValueOrDefault(key);
                kernels[key] = (us + dur, count + 1);
            }
        }

        // The first run is the warm-up in the constructor; the profile holds it too.
        Print($"{pieces} word pieces, {runCount} runs profiled ({calls} timed + warm-up), load average {LoadAverage()}; {file}");
        Print($"model_run mean {runs / Math.Max(runCount, 1) / 1000:F3} ms; kernels mean {kernels.Values.Sum(k => k.Us) / Math.Max(runCount, 1) / 1000:F3} ms");
        foreach (var (op, (us, count)) in kernels.OrderByDescending(k => k.Value.Us))
        {
            Print($"{op,-28} {us / Math.Max(runCount, 1) / 1000,8:F3} ms/run {100 * us / Math.Max(runs, 1),6:F1} %  {count / Math.Max(runCount, 1),4} nodes");
        }
    }
#endif

    /// <summary>The text-path bench's 300-character prompt (<see cref="TextPathStages.Prompt300"/>) with its catalog's name.</summary>
    internal static string Short300() => TextPathStages.Prompt300(SyntheticCatalog.Generate(100_000)[33_333].CanonicalName);

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
