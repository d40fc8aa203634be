using System.Diagnostics;
using System.Globalization;
using Compliance.Classifiers.Text;

namespace Compliance.Bench;

/// <summary>
/// Per-call latency of <see cref="ContentContextClassifier.Classify"/> (one thread) for prompts of 100
/// and 2,000 characters, plus the one-off load time. A 2,000-character prompt is embedded as several
/// sentence chunks in one batch, so its cost grows with its length.
/// </summary>
internal static class ContextLatency
{
    private const string Sentence = "a slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt. ";

    internal static void Run()
    {
        var load = Stopwatch.StartNew();
        using var classifier = new ContentContextClassifier();
        Print($"load (model + anchors + model hash): {load.Elapsed.TotalMilliseconds:F0} ms; {classifier.ModelVersion}; {Environment.ProcessorCount} cores");
        Console.WriteLine("| prompt chars | parts embedded | calls | p50 ms | p99 ms | mean ms |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var (length, calls) in new[] { (100, 300), (2_000, 60) })
        {
            var prompt = string.Concat(Enumerable.Repeat(Sentence, length / Sentence.Length + 1))[..length];
            var samples = new double[calls];
            for (var i = -10; i < calls; i++)
            {
                var start = Stopwatch.GetTimestamp();
                _ = classifier.Classify(prompt);
                if (i >= 0)
                {
                    samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }

            Array.Sort(samples);
            Print($"| {length:N0} | {ContentContextClassifier.Parts(prompt).Count} | {calls} | {At(samples, 0.50):F1} | {At(samples, 0.99):F1} | {samples.Average():F1} |");
        }
    }

    private static double At(double[] sorted, double quantile) => sorted[(int)Math.Min(sorted.Length - 1, quantile * sorted.Length)];

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
