using System.Diagnostics;
using System.Globalization;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;

namespace Compliance.Bench;

/// <summary>
/// <c>--screening-latency</c> as an interleaved A/B (ADR-040): this build against another build of the same harness
/// (<c>bench/screening-ab.sh</c> builds the base commit into its own folder), each in its own process holding its own
/// catalog, driven in alternating short rounds (A B, B A, A B, …) so both see the same machine minute by minute. Each
/// round reports the calling thread's CPU time per call (p50 / p99) in each build; the summary is the median of the
/// per-round ratios (base / new) and their spread. Only the harness is shared: the matcher, fusion features and
/// policy engine are each build's own.
/// </summary>
internal static class ScreeningLatencyAb
{
    /// <summary>The driver: <c>--screening-latency-ab &lt;base Compliance.Bench.dll&gt; [policies] [rows, e.g. 100000x2000v] [rounds] [calls per round] [--pieces]</c>;
    /// with <c>--pieces</c> the new build's matcher uses the piece index for two edits (ADR-040), the base's its default.</summary>
    internal static void Run(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var baseDll = Path.GetFullPath(args.Length > 1 ? args[1] : throw new ArgumentException("--screening-latency-ab needs the base build's Compliance.Bench.dll"));
        var policies = Path.GetFullPath(args.Length > 2 ? args[2] : "policies");
        var rows = (args.Length > 3 ? args[3] : "100000x2000,100000x2000v,100000x100,1000x2000").Split(',')
            .Select(r => r.Split('x')).Select(p => (Size: int.Parse(p[0], CultureInfo.InvariantCulture), Length: p[1])).ToList();
        var rounds = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 20;
        var calls = args.Length > 5 && args[5] != "--pieces" ? int.Parse(args[5], CultureInfo.InvariantCulture) : 2_000;
        var pieces = args.Contains("--pieces");
        var ownDll = typeof(ScreeningLatencyAb).Assembly.Location;
        Print($"interleaved A/B: base {baseDll} vs new {ownDll}{(pieces ? ", and new with the piece index" : "")}; {rounds} rounds × {calls:N0} calls per build and row, the order rotating and reversing each round; load average {LoadAverage()}");
        foreach (var size in rows.Select(r => r.Size).Distinct())
        {
            // Every variant holds the catalog at once (about 1.1 GB each at 100,000 characters); they build it in parallel.
            var servers = new List<Server> { new("base", baseDll, policies, size), new("new", ownDll, policies, size) };
            if (pieces)
            {
                servers.Add(new Server("new+pieces", ownDll, policies, size, pieces: true));
            }

            try
            {
                var ready = string.Join("; ", servers.Select(v => $"{v.Name}: {v.WaitReady()}"));
                Print($"{size:N0} characters — {ready}");
                foreach (var (_, length) in rows.Where(r => r.Size == size))
                {
                    Compare(servers, size, length, rounds, calls);
                }
            }
            finally
            {
                servers.ForEach(v => v.Dispose());
            }
        }
    }

    /// <summary>Rounds of one row: each round runs every variant once, in an order that rotates and reverses from round to
    /// round (AB, BA, … for two), and each variant's per-round figures are divided into the base's of the same round.</summary>
    /// <param name="servers">The builds.</param>
    /// <param name="size">Characters in the catalog.</param>
    /// <param name="length">Prompt characters; with a <c>v</c> after them ("2000v"), a different prompt each call
    /// (<see cref="ScreeningLatency.VariedPrompts"/>) instead of one prompt repeating one sentence.</param>
    /// <param name="rounds">Rounds.</param>
    /// <param name="calls">Calls per build and round.</param>
    private static void Compare(List<Server> servers, int size, string length, int rounds, int calls)
    {
        // Warm-up as in --screening-latency: tiered JIT reaches optimised code and the caches fill.
        servers.ForEach(v => v.Round(length, 20_000));
        var results = new List<RoundResult[]>();
        Console.WriteLine();
        var kind = length.EndsWith('v') ? "prompts, a different one each call (varied corpus text)"
            : length.EndsWith('u') ? "prompts of random letter strings, no word ever seen before (the word memo's worst case)"
            : length.EndsWith('s') ? "prompts of the varied corpus lines with their words shuffled, new orders every 256 calls (words recur, phrases are broken)"
            : "prompt (one sentence repeated)";
        Print($"**{size:N0} characters × {ScreeningLatency.Characters(length)}-character {kind}**, load average {LoadAverage()} at the start");
        Console.WriteLine($"| round | order | {string.Join(" | ", servers.Select(v => $"{v.Name} thread CPU µs p50 / p99"))} | {string.Join(" | ", servers.Skip(1).Select(v => $"{v.Name} p50 / p99 ratio"))} |");
        Console.WriteLine($"|---:|---|{string.Concat(Enumerable.Repeat("---|", servers.Count))}{string.Concat(Enumerable.Repeat("---:|", servers.Count - 1))}");
        for (var r = 0; r < rounds; r++)
        {
            var order = Enumerable.Range(0, servers.Count).Select(i => (i + (r / 2)) % servers.Count).ToList();
            if (r % 2 == 1)
            {
                order.Reverse();
            }

            var round = new RoundResult[servers.Count];
            foreach (var i in order)
            {
                round[i] = servers[i].Round(length, calls);
            }

            results.Add(round);
            Print($"| {r + 1} | {string.Concat(order.Select(i => (char)('A' + i)))} | {string.Join(" | ", round.Select(x => $"{x.P50:F1} / {x.P99:F1}"))} | {string.Join(" | ", round.Skip(1).Select(x => $"{round[0].P50 / x.P50:F2} / {round[0].P99 / x.P99:F2}"))} |");
        }

        var last = results[^1];
        for (var v = 1; v < servers.Count; v++)
        {
            var p50 = results.Select(x => x[0].P50 / x[v].P50).Order().ToArray();
            var p99 = results.Select(x => x[0].P99 / x[v].P99).Order().ToArray();
            Print($"summary {size:N0} × {length}, base/{servers[v].Name}: p50 median {Median(p50):F2}× (spread {p50[0]:F2}–{p50[^1]:F2}), p99 median {Median(p99):F2}× (spread {p99[0]:F2}–{p99[^1]:F2}); "
                + $"median thread CPU µs p50 / p99: base {Median(results.Select(x => x[0].P50))} / {Median(results.Select(x => x[0].P99))}, {servers[v].Name} {Median(results.Select(x => x[v].P50))} / {Median(results.Select(x => x[v].P99))}; "
                + $"allocated bytes per call: base {last[0].BytesPerCall:N0}, {servers[v].Name} {last[v].BytesPerCall:N0}; signals per call: base {last[0].Signals}, {servers[v].Name} {last[v].Signals}"
                + $"; control (a fixed computation, same process and minutes) p50 / p99 µs: base {Median(results.Select(x => x[0].ControlP50))} / {Median(results.Select(x => x[0].ControlP99))}, {servers[v].Name} {Median(results.Select(x => x[v].ControlP50))} / {Median(results.Select(x => x[v].ControlP99))}"
                + $"{(last[0].Decision == last[v].Decision ? ", same decision and scores" : $" — DECISIONS DIFFER: base {last[0].Decision}, {servers[v].Name} {last[v].Decision}")}; load average {LoadAverage()} at the end");
        }
    }

    /// <summary>One build's side of the A/B: <c>--screening-latency-serve &lt;policies&gt; &lt;characters&gt;</c>. Builds the
    /// catalog, prints <c>ready …</c>, then answers each <c>round &lt;prompt chars&gt; &lt;calls&gt;</c> line on stdin with one
    /// result line, until stdin closes.</summary>
    internal static void Serve(string policiesDirectory, int size, bool pieces)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var policies = PolicyLoader.LoadDirectory(policiesDirectory).Set ?? throw new InvalidOperationException("policies did not load");
        var entities = SyntheticCatalog.Generate(size);
        var built = Stopwatch.StartNew();
        var matcher = NameMatcher.Build(entities, null, pieces);
        var classifier = new NameClassifier(new FixedSource(matcher));
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        Print($"ready built in {built.Elapsed.TotalSeconds:F1} s, {matcher.Size.FuzzyEntries:N0} fuzzy entries, {heap / 1048576.0:N0} MiB managed");
        while (Console.ReadLine() is { } line)
        {
            var parts = line.Split(' ');
            if (parts is not ["round", var lengthText, var callsText])
            {
                continue;
            }

            var prompts = ScreeningLatency.Prompts(entities, lengthText);
            var calls = int.Parse(callsText, CultureInfo.InvariantCulture);
            var cpu = new double[calls];
            var signals = 0;
            var decision = "";
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < calls; i++)
            {
                if (i % prompts.Length == 0 && i > 0 && ScreeningLatency.MakesNewPrompts(lengthText))
                {
                    prompts = ScreeningLatency.Prompts(entities, lengthText); // new words, never seen
                }

                var prompt = prompts[i % prompts.Length];
                var cpuStart = ThreadCpu.Now();
                // As the prompt gate runs the lexical classifier: under the inline classifier guard (ADR-022).
                var (found, result) = ScreeningLatency.Screen(classifier, policies, prompt);
                cpu[i] = (ThreadCpu.Now() - cpuStart) / 1e3;
                signals = found.Count;
                decision = result.Outcome + ":" + string.Join(",", found.Select(s => s.Score.ToString("R", CultureInfo.InvariantCulture)));
            }

            var perCall = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / calls;
            Array.Sort(cpu);

            // The machine's own tail in the same minute: a fixed computation of about the same length (no allocation, no
            // lock, the same work every call), timed the same way. When its p99 / p50 matches the screening's, the tail is
            // the VM's (other tenants, interrupts, a shared core), not the code's.
            var control = new double[calls];
            for (var i = 0; i < calls; i++)
            {
                var cpuStart = ThreadCpu.Now();
                ControlSink ^= Control(ControlRounds);
                control[i] = (ThreadCpu.Now() - cpuStart) / 1e3;
            }

            Array.Sort(control);
            Print($"{At(cpu, 0.50):F3} {At(cpu, 0.99):F3} {perCall} {signals} {decision} {At(control, 0.50):F3} {At(control, 0.99):F3}");
        }
    }

    private sealed record RoundResult(double P50, double P99, long BytesPerCall, int Signals, string Decision, double ControlP50, double ControlP99);

    /// <summary>Steps of the control computation: about 62–68 µs on this machine's cores (2026-12-01), the screening path's
    /// order of magnitude.</summary>
    private const int ControlRounds = 12_000;

    private static readonly ulong[] ControlTable = [.. Enumerable.Range(0, 32_768).Select(i => (ulong)i * 0x9E3779B97F4A7C15UL)];

    private static ulong ControlSink;

    /// <summary>A dependent chain of multiplications and reads from a 256 KB table (L2-resident, as the matcher's hot
    /// lines are): the same work every call.</summary>
    private static ulong Control(int rounds)
    {
        var x = 0x243F6A8885A308D3UL;
        for (var i = 0; i < rounds; i++)
        {
            x = (x ^ ControlTable[(int)(x >> 49)]) * 0xBF58476D1CE4E5B9UL;
        }

        return x;
    }

    /// <summary>A child process running one build's <see cref="Serve"/>.</summary>
    private sealed class Server : IDisposable
    {
        private readonly Process _process;
        private readonly string _name;

        public string Name => _name;

        public Server(string name, string dll, string policies, int size, bool pieces = false)
        {
            _name = name;
            var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { dll, "--screening-latency-serve", policies, size.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(arg);
            }

            if (pieces)
            {
                start.ArgumentList.Add("--pieces");
            }

            _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the {name} build");
        }

        public string WaitReady()
        {
            var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"the {_name} build exited before it was ready");
            return line.StartsWith("ready ", StringComparison.Ordinal) ? line[6..] : throw new InvalidOperationException($"the {_name} build said: {line}");
        }

        public RoundResult Round(string length, int calls)
        {
            _process.StandardInput.WriteLine(FormattableString.Invariant($"round {length} {calls}"));
            _process.StandardInput.Flush();
            var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"the {_name} build exited during a round");
            var p = line.Split(' ');
            return new RoundResult(double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture),
                long.Parse(p[2], CultureInfo.InvariantCulture), int.Parse(p[3], CultureInfo.InvariantCulture), p[4],
                double.Parse(p[5], CultureInfo.InvariantCulture), double.Parse(p[6], CultureInfo.InvariantCulture));
        }

        public void Dispose()
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(30_000))
            {
                _process.Kill();
            }

            _process.Dispose();
        }
    }

    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(250);

    private sealed class FixedSource(NameMatcher matcher) : INameMatcherSource
    {
        public NameMatcher Current => matcher;
    }

    private static double At(double[] sorted, double quantile) => sorted[(int)Math.Min(sorted.Length - 1, quantile * sorted.Length)];

    private static double Median(double[] sorted) => sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    private static string Median(IEnumerable<double> values) => Median(values.Order().ToArray()).ToString("F0", CultureInfo.InvariantCulture);

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    /// <summary>One line, flushed (the driver reads the servers' lines as they come). Both entry points set the invariant
    /// culture first, so numbers print the same on every machine.</summary>
    private static void Print(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
    }
}
