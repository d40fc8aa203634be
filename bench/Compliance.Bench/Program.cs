using Compliance.Classifiers.Text;
using BenchmarkDotNet.Running;

namespace Compliance.Bench;

internal static class Program
{
    private static void Main(string[] args)
    {
        // BenchmarkDotNet's percentiles are over iteration means; per-call tail latency needs its own loop.
        if (args is ["--text-matcher-latency", ..])
        {
            TextMatcherLatency.Run();
            return;
        }

        if (args is ["--text-path-latency", ..])
        {
            TextPathLatency.Run(args);
            return;
        }

        if (args is ["--text-path-stages", ..])
        {
#if !AB_BASE
            // --prefetch N: how many shortlisted characters ahead the description scan prefetches (0: off);
            // --kernel Avx2|Avx512|Vnni|Scalar: its dot kernel (ADR-051).
            foreach (var ahead in args.SkipWhile(a => a != "--prefetch").Skip(1).Take(1))
            {
                CharacterSemanticIndex.PrefetchAhead = int.Parse(ahead, System.Globalization.CultureInfo.InvariantCulture);
            }

            foreach (var kernel in args.SkipWhile(a => a != "--kernel").Skip(1).Take(1))
            {
                CharacterSemanticIndex.Kernel = Enum.Parse<CharacterSemanticIndex.DotKernel>(kernel, ignoreCase: true);
            }
#endif

            TextPathStages.Run(
                args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 400,
                args.Contains("--sign-pass-only"),
                args.SkipWhile(a => a != "--shortlist").Skip(1).Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(CharacterSemanticIndex.DefaultShortlistRows));
            return;
        }

#if !AB_BASE
        if (args is ["--scan-kernel-ab", ..])
        {
            ScanKernelAb.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000);
            return;
        }
#endif

        if (args is ["--minilm-attention-ab", ..])
        {
            MiniLmAttentionAb.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 600);
            return;
        }

#if !AB_BASE
        if (args is ["--tokenizer-ab", ..])
        {
            TokenizerAb.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2_000);
            return;
        }

        if (args is ["--minilm-profile", ..])
        {
            MiniLmAttentionAb.Profile(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300);
            return;
        }

#endif
        if (args is ["--frame-screening", ..])
        {
            FrameScreening.RunAsync(args.Length > 1 ? args[1] : ".").GetAwaiter().GetResult();
            return;
        }

        if (args is ["--frame-stages", ..])
        {
            FrameStages.RunAsync(args.Length > 1 ? args[1] : ".").GetAwaiter().GetResult();
            return;
        }

        if (args is ["--screening-latency", ..])
        {
            ScreeningLatency.Run(args.Length > 1 ? args[1] : "policies", args.Length > 2 && args[2] != "all" ? args[2] : null, args.Contains("--pieces"));
            return;
        }

        if (args is ["--screening-loop", var loopSeconds, ..])
        {
            // --screening-loop <seconds> [policies] [characters] [prompt chars, "2000v" for varied prompts]: the screening path in a loop, for perf record -p.
            ScreeningLatency.Loop(
                double.Parse(loopSeconds, System.Globalization.CultureInfo.InvariantCulture),
                args.Length > 2 ? args[2] : "policies",
                args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 100_000,
                args.Length > 4 ? args[4] : "2000");
            return;
        }

        if (args is ["--screening-latency-ab", ..])
        {
            // --screening-latency-ab <base Compliance.Bench.dll> [policies] [rows] [rounds] [calls] [--pieces]: bench/screening-ab.sh.
            ScreeningLatencyAb.Run(args);
            return;
        }

        if (args is ["--screening-latency-serve", var servePolicies, var serveSize, ..])
        {
            ScreeningLatencyAb.Serve(servePolicies, int.Parse(serveSize, System.Globalization.CultureInfo.InvariantCulture), args.Contains("--pieces"));
            return;
        }

        if (args is ["--context-calibration", ..])
        {
            ContextCalibration.Run(args.Length > 1 ? args[1] : "tests/Compliance.Classifiers.Tests/Data/context-prompts.tsv");
            return;
        }

        if (args is ["--context-latency", ..])
        {
            ContextLatency.Run();
            return;
        }

        if (args is ["--key-check-latency", ..])
        {
            KeyCheckLatency.RunAsync(args.Length > 1 ? args[1] : ".").GetAwaiter().GetResult();
            return;
        }

        if (args is ["--settlement", ..])
        {
            // --settlement [root] [lines...]: default 1,000,000 then 10,000,000 lines, in one process (peak RSS is cumulative).
            var sizes = args.Skip(2).Select(a => long.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            SettlementBench.RunAsync(args.Length > 1 ? args[1] : ".", sizes.Count > 0 ? sizes : [1_000_000, 10_000_000]).GetAwaiter().GetResult();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
