using System.Diagnostics;
using System.Globalization;
using System.Text;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;

namespace Compliance.TextPathAb;

/// <summary>
/// An interleaved A/B of the full text path (ADR-041): two worker processes — this project built against the base
/// commit's classifiers, and built against this tree's — each hold the 100,000-character catalog of
/// <c>--text-path-latency</c>, and the coordinator asks them in turn (A B, B A, …) for short rounds of calls of the
/// same prompt, so both builds see the same machine minute by minute. Only one worker runs at a time; each times its
/// calls by its own thread's CPU clock (the ONNX session runs on the calling thread) and the wall clock.
/// </summary>
/// <remarks>
/// <c>bench/text-path-ab.sh</c> builds both and runs <c>--coordinate</c>; <c>--worker</c> is the other side of the
/// pipe. The project uses the classifiers' public API only, so it compiles against the base commit unchanged.
/// </remarks>
internal static partial class Program
{
    private static int Main(string[] args)
    {
        if (args is ["--worker", ..])
        {
            Worker.Run();
            return 0;
        }

        if (args is ["--coordinate", var baseDll, var newDll, ..])
        {
            var rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 30;
            var calls = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 100;
            return Coordinator.Run(baseDll, newDll, rounds, calls);
        }

        Console.Error.WriteLine("usage: --coordinate <base Compliance.TextPathAb.dll> <new Compliance.TextPathAb.dll> [rounds] [calls per round] | --worker");
        return 2;
    }

    internal static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

}

/// <summary>One build's side: the catalog, the classifier, and rounds of calls on request.</summary>
internal static class Worker
{
    /// <summary>The prompts of <c>--text-path-latency</c>, by their lengths.</summary>
    internal static readonly string[] Lengths = ["300", "2000"];

    internal static void Run()
    {
        var entities = SyntheticCatalog.Generate(100_000);
        var matcher = NameMatcher.Build(entities);
        var embedder = new SentenceEmbedder();
        var random = new Random(7);
        var vectors = new List<CharacterVectors>(entities.Count);
        var described = entities[12_345];
        const string Description = "A tiny green alien emperor with three eyes on stalks, a cape far too big for him and a ray gun, plotting from his flying saucer.";
        vectors.Add(WithTexts(new CharacterVectors(described, embedder.Embed([Description])) { StaticVector = embedder.StaticVectorOf([Description]) }, [Description]));
        foreach (var entity in entities.Where(e => e != described))
        {
            vectors.Add(WithTexts(new CharacterVectors(entity, [RandomUnit(random)]) { StaticVector = RandomUnit(random) }, [RandomText(random)]));
        }

        var semantics = CharacterSemanticIndex.Build(vectors);
        var classifier = new NameClassifier(new Source(matcher, semantics), new CharacterTextScreener(embedder, TextFusionModel.LoadShipped()));
        const string Sentence = "A slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt, a woman in a yellow coat walks past a noodle stall. ";
        var short300 = (entities[33_333].CanonicalName + " waves while a tiny green three-eyed alien in an oversized cape aims a ray gun from a saucer. " + Sentence + Sentence)[..300];
        var long2000 = entities[33_333].CanonicalName + " meets " + entities[50_000].Aliases[0].Replace('o', '0') + ". ";
        const string Ending = " Then a tiny green alien with three eyes on stalks waves a ray gun from his flying saucer.";
        while (long2000.Length < 2_000)
        {
            long2000 += Sentence;
        }

        long2000 = long2000[..(2_000 - Ending.Length)] + Ending;
        var prompts = new[] { short300, long2000 };
        foreach (var prompt in prompts)
        {
            for (var i = 0; i < 30; i++)
            {
                Call(classifier, prompt);
            }
        }

        // What both builds must answer alike: every signal of both prompts, scores to the last bit.
        Console.WriteLine("ready " + string.Join(" | ", prompts.Select(p => Fingerprint(Call(classifier, p)))));
        string? line;
        while ((line = Console.ReadLine()) is not null)
        {
            // "run <prompt index> <calls>": per-call thread CPU and wall milliseconds, then allocation and collections.
            var parts = line.Split(' ');
            if (parts is not ["run", var which, var count])
            {
                break;
            }

            var prompt = prompts[int.Parse(which, CultureInfo.InvariantCulture)];
            var calls = int.Parse(count, CultureInfo.InvariantCulture);
            var cpu = new double[calls];
            var wall = new double[calls];
            var allocated0 = GC.GetAllocatedBytesForCurrentThread();
            var gen0 = GC.CollectionCount(0);
            var process0 = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < calls; i++)
            {
                var cpu0 = Compliance.Bench.ThreadCpu.Milliseconds();
                var start = Stopwatch.GetTimestamp();
                Call(classifier, prompt);
                wall[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                cpu[i] = Compliance.Bench.ThreadCpu.Milliseconds() - cpu0;
            }

            var process = (Process.GetCurrentProcess().TotalProcessorTime - process0).TotalMilliseconds;
            var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{string.Join(',', cpu.Select(c => c.ToString("R", CultureInfo.InvariantCulture)))};{string.Join(',', wall.Select(w => w.ToString("R", CultureInfo.InvariantCulture)))};{bytes};{GC.CollectionCount(0) - gen0};{process.ToString("R", CultureInfo.InvariantCulture)}"));
        }
    }

    /// <summary>
    /// The characters' texts, for builds whose index corroborates descriptions by their distinctive words (ADR-046); set
    /// by reflection so that the harness still compiles against a base build without <c>CharacterVectors.Texts</c>.
    /// </summary>
    private static CharacterVectors WithTexts(CharacterVectors vectors, string[] texts)
    {
        typeof(CharacterVectors).GetProperty("Texts")?.SetValue(vectors, texts);
        return vectors;
    }

    private static readonly string[] Words = ["giant", "tiny", "silver", "golden", "robot", "dragon", "knight", "wizard", "fox", "cat",
        "owl", "pirate", "queen", "ghost", "alien", "cape", "sword", "lantern", "armour", "wings", "tail", "eyes", "hat", "moon",
        "forest", "castle", "ocean", "desert", "city", "space", "fire", "ice", "storm", "shadow", "crystal", "clockwork", "flying",
        "glowing", "ancient", "mechanical", "purple", "green", "red", "blue", "emerald", "copper", "velvet", "thunder", "frost", "ember"];

    /// <summary>A 14-word description made of random descriptive words: realistic length, some words distinctive.</summary>
    private static string RandomText(Random random) =>
        "a " + string.Join(' ', Enumerable.Range(0, 14).Select(_ => Words[random.Next(Words.Length)])) + " " + random.Next(100_000).ToString(CultureInfo.InvariantCulture);

    private static IReadOnlyList<Compliance.Policies.Model.Signal> Call(NameClassifier classifier, string prompt) =>
        classifier.ClassifyAsync(prompt, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    private static string Fingerprint(IReadOnlyList<Compliance.Policies.Model.Signal> signals)
    {
        var text = new StringBuilder();
        foreach (var s in signals)
        {
            text.Append(CultureInfo.InvariantCulture, $"{s.Entity?.Name}:{s.Kind}:{s.Score:R}:{s.Evidence.Similarity:R}:{s.Evidence.Detail};");
        }

        return text.ToString();
    }

    private static float[] RandomUnit(Random random)
    {
        var v = new float[SentenceEmbedder.Dimensions];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    private sealed class Source(NameMatcher matcher, CharacterSemanticIndex semantics) : INameMatcherSource
    {
        public NameMatcher Current => matcher;

        public CharacterSemanticIndex Semantics => semantics;
    }
}

/// <summary>Starts both workers, alternates their rounds, and prints per-round figures and the ratios' median and spread.</summary>
internal static class Coordinator
{
    internal static int Run(string baseDll, string newDll, int rounds, int calls)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"text path A/B: {rounds} rounds × {calls} calls per build and prompt, alternating (base first in even rounds); load average {Program.LoadAverage()}; {Environment.ProcessorCount} cores visible"));
        // TEXTPATH_AB_NEW_ENV="NAME=value" sets one environment variable for the new worker only, so a runtime setting
        // (a glibc tunable, an ONNX Runtime or .NET knob) can be A/B-tested on the same build.
        var newEnv = Environment.GetEnvironmentVariable("TEXTPATH_AB_NEW_ENV");
        if (!string.IsNullOrEmpty(newEnv))
        {
            Console.WriteLine($"new worker only: {newEnv}");
        }

        using var a = Start(baseDll, null);
        using var b = Start(newDll, newEnv);
        var readyA = a.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the base worker did not start: " + a.StandardError.ReadToEnd());
        var readyB = b.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the new worker did not start: " + b.StandardError.ReadToEnd());
        var same = readyA == readyB;
        Console.WriteLine($"same signals, scores and similarities on both prompts: {same}");
        if (!same)
        {
            Console.WriteLine($"  base: {readyA}");
            Console.WriteLine($"  new:  {readyB}");
        }

        var workers = new[] { a, b };
        for (var p = 0; p < Worker.Lengths.Length; p++)
        {
            var perPromptCalls = p == 0 ? calls : Math.Max(10, calls / 4);
            var results = new[] { new List<Round>(), new List<Round>() };
            for (var r = 0; r < rounds; r++)
            {
                for (var j = 0; j < 2; j++)
                {
                    var k = (r + j) % 2;
                    workers[k].StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {p} {perPromptCalls}"));
                    var line = workers[k].StandardOutput.ReadLine() ?? throw new InvalidOperationException("a worker stopped: " + workers[k].StandardError.ReadToEnd());
                    results[k].Add(Round.Parse(line));
                }
            }

            Report(Worker.Lengths[p], perPromptCalls, results[0], results[1]);
        }

        foreach (var w in workers)
        {
            w.StandardInput.Close();
            w.WaitForExit();
        }

        Console.WriteLine($"load average at the end {Program.LoadAverage()}");
        return same ? 0 : 1;
    }

    private static void Report(string length, int calls, List<Round> baseRounds, List<Round> newRounds)
    {
        Console.WriteLine();
        Console.WriteLine($"{length} characters, {baseRounds.Count} rounds of {calls} calls each; load average {Program.LoadAverage()}");
        Console.WriteLine("| build | thread CPU p50 ms | thread CPU p99 ms | thread CPU mean ms | wall p50 ms | wall p99 ms | process CPU ms per call | KB allocated per call | gen0 GCs per 1,000 calls |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, list) in new[] { ("base", baseRounds), ("new", newRounds) })
        {
            var cpu = list.SelectMany(r => r.Cpu).Order().ToArray();
            var wall = list.SelectMany(r => r.Wall).Order().ToArray();
            var n = cpu.Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} (all rounds pooled) | {cpu[n / 2]:F3} | {cpu[(int)(n * 0.99)]:F3} | {cpu.Average():F3} | {wall[n / 2]:F3} | {wall[(int)(n * 0.99)]:F3} | {list.Sum(r => r.ProcessCpu) / n:F3} | {list.Sum(r => r.Bytes) / 1024.0 / n:F1} | {1000.0 * list.Sum(r => r.Gen0) / n:F1} |"));
        }

        Console.WriteLine("per round (base | new): thread CPU p50, p99; wall p50, p99");
        for (var i = 0; i < baseRounds.Count; i++)
        {
            var x = baseRounds[i];
            var y = newRounds[i];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {i,3}: {x.CpuP50:F2} {x.CpuP99:F2} {x.WallP50:F2} {x.WallP99:F2} | {y.CpuP50:F2} {y.CpuP99:F2} {y.WallP50:F2} {y.WallP99:F2}"));
        }

        foreach (var (label, of) in new (string, Func<Round, double>)[]
                 {
                     ("thread CPU p50", r => r.CpuP50), ("thread CPU p99", r => r.CpuP99), ("thread CPU mean", r => r.Cpu.Average()),
                     ("wall p50", r => r.WallP50), ("wall p99", r => r.WallP99),
                 })
        {
            var ratios = baseRounds.Zip(newRounds, (x, y) => of(y) / of(x)).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"new / base {label}: median of per-round ratios {ratios[ratios.Length / 2]:F3}, quartiles {ratios[ratios.Length / 4]:F3}–{ratios[3 * ratios.Length / 4]:F3}, range {ratios[0]:F3}–{ratios[^1]:F3}"));
        }
    }

    private static Process Start(string dll, string? environment)
    {
        var info = new ProcessStartInfo("dotnet", [dll, "--worker"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        if (environment?.Split('=', 2) is [var name, var value])
        {
            info.Environment[name] = value;
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {dll}");
    }

    private sealed record Round(double[] Cpu, double[] Wall, long Bytes, int Gen0, double ProcessCpu)
    {
        public double CpuP50 => Percentile(Cpu, 0.5);

        public double CpuP99 => Percentile(Cpu, 0.99);

        public double WallP50 => Percentile(Wall, 0.5);

        public double WallP99 => Percentile(Wall, 0.99);

        public static Round Parse(string line)
        {
            var parts = line.Split(';');
            return new Round(
                [.. parts[0].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture))],
                [.. parts[1].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture))],
                long.Parse(parts[2], CultureInfo.InvariantCulture),
                int.Parse(parts[3], CultureInfo.InvariantCulture),
                double.Parse(parts[4], CultureInfo.InvariantCulture));
        }

        private static double Percentile(double[] values, double q)
        {
            var sorted = values.Order().ToArray();
            return sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        }
    }
}
