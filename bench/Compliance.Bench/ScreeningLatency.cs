using System.Diagnostics;
using System.Globalization;
using Compliance.Classifiers;
using Compliance.Classifiers.Tests.Text;
using Compliance.Classifiers.Text;
using Compliance.Policies.Engine;
using Compliance.Policies.Model;

namespace Compliance.Bench;

/// <summary>
/// The in-process screening path of one prompt, without the database: the licensed-character
/// classifier turns matches into signals, and the shipped policy set decides. Throughput and per-call
/// p50/p99 for catalogs of 1,000 and 100,000 characters × 5 names and prompts of 100 and 2,000 characters, under the
/// classifier guard as the prompt gate runs it, and (2,000 characters) under the Task.Run guard for comparison.
/// </summary>
internal static partial class ScreeningLatency
{
    private static int Calls = 20_000;

    /// <summary>The prompt gate's text budget (Screening:ClassifierBudget).</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(250);

    private enum Guard
    {
        Inline,
        TaskRun,
    }

    private sealed class FixedSource(NameMatcher matcher) : INameMatcherSource
    {
        public NameMatcher Current => matcher;
    }

    /// <param name="policiesDirectory">The shipped policy set.</param>
    /// <param name="only">Optional "characters×prompt chars" filter (e.g. "100000x2000", or "100000x2000v" for varied prompts), for profiling one row; any other value is refused.</param>
    /// <param name="pieceIndex">Build the matcher with the paired four-piece two-edit index (ADR-033, ADR-040; off in the service) (2,000 calls).</param>
    internal static void Run(string policiesDirectory, string? only = null, bool pieceIndex = false)
    {
        Calls = pieceIndex ? 2_000 : Calls;
        // "2000v": a different 2,000-character prompt each call (ADR-049), the row the prompt-tail target is read from.
        int[] sizes = [1_000, 100_000];
        (string Length, Guard Guard)[] variants = [("100", Guard.Inline), ("2000", Guard.Inline), ("2000", Guard.TaskRun), ("2000v", Guard.Inline), ("2000s", Guard.Inline), ("2000u", Guard.Inline)];
        var rows = sizes.SelectMany(size => variants.Where(v => v.Guard == Guard.Inline).Select(v => FormattableString.Invariant($"{size}x{v.Length}"))).ToArray();
        if (only is not null && !rows.Contains(only))
        {
            throw new ArgumentException($"No row is \"{only}\"; the rows are {string.Join(", ", rows)} (or \"all\").", nameof(only));
        }

        var policies = PolicyLoader.LoadDirectory(policiesDirectory).Set ?? throw new InvalidOperationException("policies did not load");
        Print($"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {System.Runtime.GCSettings.LatencyMode}");
        Console.WriteLine("| characters | prompt chars | guard | signals | throughput (prompts/s, 1 thread) | p50 µs | p99 µs | p99.9 µs | max µs | this thread's CPU µs p50 / p99 / max | allocated bytes per call | gen0/gen1/gen2 GCs during the timed calls |");
        Console.WriteLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        var stages = new List<string>();
        foreach (var size in sizes)
        {
            if (only is not null && !only.StartsWith(FormattableString.Invariant($"{size}x"), StringComparison.Ordinal))
            {
                continue;
            }

            var entities = SyntheticCatalog.Generate(size);
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            var built = Stopwatch.StartNew();
            var matcher = NameMatcher.Build(entities, null, pieceIndex);
            Console.Error.WriteLine(FormattableString.Invariant(
                $"{size:N0} characters: built in {built.Elapsed.TotalSeconds:F1} s, {matcher.Size.FuzzyEntries:N0} fuzzy entries{(pieceIndex ? " (piece index)" : "")}, +{(GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / 1048576.0:N0} MiB managed"));
            var classifier = new NameClassifier(new FixedSource(matcher));
            foreach (var (length, guard) in variants)
            {
                if (only is not null && (only != FormattableString.Invariant($"{size}x{length}") || guard != Guard.Inline))
                {
                    continue;
                }

                var prompts = Prompts(entities, length);
                var samples = new double[Calls];
                var cpu = new double[Calls];
                var signals = 0;
                long allocated = 0;
                int[] gcs = [];
                for (var i = -Calls; i < Calls; i++)
                {
                    if (i == 0)
                    {
                        // Every thread's allocations: the Task.Run guard classifies on a pool thread.
                        allocated = GC.GetTotalAllocatedBytes(precise: true);
                        gcs = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
                    }

                    if ((i + Calls) % prompts.Length == 0 && i > -Calls && MakesNewPrompts(length))
                    {
                        prompts = Prompts(entities, length); // new prompts, outside the timed call
                    }

                    var cpuStart = ThreadCpu.Now();
                    var start = Stopwatch.GetTimestamp();
                    // As the prompt gate runs it: under the classifier guard, inline for the lexical classifier (ADR-022), or
                    // the guard every classifier had before (Task.Run, a linked token source with a timer, WaitAsync).
                    var (_, decision) = Screen(classifier, policies, prompts[(i + Calls) % prompts.Length], inline: guard == Guard.Inline);
                    if (i >= 0)
                    {
                        samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                        cpu[i] = (ThreadCpu.Now() - cpuStart) / 1e3;
                        signals = decision.Reasons.Count;
                    }
                }

                var perCall = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / Calls;
                if (guard == Guard.Inline)
                {
                    stages.Add(Stages(classifier, policies, prompts[0], $"{size:N0} × {Label(length)}"));
                }

                var collections = $"{GC.CollectionCount(0) - gcs[0]}/{GC.CollectionCount(1) - gcs[1]}/{GC.CollectionCount(2) - gcs[2]}";
                Array.Sort(samples);
                Array.Sort(cpu);
                var throughput = Calls / (samples.Sum() / 1e6);
                Print($"| {size:N0} | {Label(length)} | {(guard == Guard.Inline ? "inline" : "Task.Run")} | {signals} | {throughput:N0} | {At(samples, 0.50):F1} | {At(samples, 0.99):F1} | {At(samples, 0.999):F1} | {samples[^1]:F0} | {At(cpu, 0.50):F1} / {At(cpu, 0.99):F1} / {cpu[^1]:F0} | {perCall:N0} | {collections} |");
            }
        }

        Console.WriteLine();
        Console.WriteLine("Allocated bytes per call by stage (one warm call on this thread): " + string.Join("; ", stages));
    }

    /// <summary>A row's prompt length as the table shows it: "2,000", or "2,000 varied" for "2000v".</summary>
    private static string Label(string length) => FormattableString.Invariant(
        $"{Characters(length):N0}{(length.EndsWith('v') ? " varied" : length.EndsWith('u') ? " unseen words" : length.EndsWith('s') ? " shuffled words" : string.Empty)}");

    /// <summary>
    /// The inline screening path of one prompt in a loop for <paramref name="seconds"/>, for a profiler attached with
    /// <c>perf record -g -p</c> (run with <c>DOTNET_PerfMapEnabled=1</c>); prints calls and mean thread CPU per call.
    /// </summary>
    internal static void Loop(double seconds, string policiesDirectory, int size, string length)
    {
        var policies = PolicyLoader.LoadDirectory(policiesDirectory).Set ?? throw new InvalidOperationException("policies did not load");
        var entities = SyntheticCatalog.Generate(size);
        var classifier = new NameClassifier(new FixedSource(NameMatcher.Build(entities, null)));
        var prompts = Prompts(entities, length);
        Console.Error.WriteLine(FormattableString.Invariant($"pid {Environment.ProcessId}: looping {size:N0} × {length} for {seconds} s"));
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var cpuStart = ThreadCpu.Now();
        long calls = 0;
        while (Stopwatch.GetTimestamp() < until)
        {
            if (calls % prompts.Length == 0 && calls > 0 && MakesNewPrompts(length))
            {
                prompts = Prompts(entities, length);
            }

            _ = Screen(classifier, policies, prompts[calls % prompts.Length]);
            calls++;
        }

        Print($"{calls:N0} calls, {(ThreadCpu.Now() - cpuStart) / 1e3 / calls:F1} µs thread CPU per call");
    }

    /// <summary>One prompt screened as the prompt gate does it: the classifier under the classifier guard (inline for the
    /// lexical classifier, ADR-022; <paramref name="inline"/> false: the <c>Task.Run</c> guard every classifier had before),
    /// then the policy set with no grant.</summary>
    internal static (IReadOnlyList<Signal> Found, PolicyDecision Decision) Screen(NameClassifier classifier, PolicySet policies, string prompt, bool inline = true)
    {
        var found = inline
            ? ClassifierGuard.RunInline(classifier.Name, t => classifier.ClassifyAsync(prompt, t), Budget, null, CancellationToken.None).Result
            : ClassifierGuard.RunAsync(classifier.Name, t => classifier.ClassifyAsync(prompt, t), Budget, null, CancellationToken.None).Result;
        var facts = found.Select(s => new GrantFact(s.Entity!, GrantState.None)).ToList();
        return (found, PolicyEngine.Evaluate(policies, new PolicyInput("prompt", found, facts)));
    }

    /// <summary>The prompts of a row: "2000" is <see cref="Prompt"/> of 2,000 characters (one prompt), "2000v"
    /// <see cref="VariedPrompts"/> of 2,000 characters (a different one each call).</summary>
    internal static string[] Prompts(IReadOnlyList<Compliance.Classifiers.Text.NamedEntity> entities, string length)
    {
        var chars = Characters(length);
        return length.EndsWith('v') ? VariedPrompts(entities, chars)
            : length.EndsWith('s') ? VariedPrompts(entities, chars, shuffleSeed: Interlocked.Increment(ref _unseenSeed))
            : length.EndsWith('u') ? UnseenWordPrompts(entities, chars, Interlocked.Increment(ref _unseenSeed))
            : [Prompt(entities, chars)];
    }

    /// <summary>The prompt characters of a row's length ("2000", "2000v", "2000s", "2000u").</summary>
    internal static int Characters(string length) => int.Parse(length.TrimEnd('v', 'u', 's'), CultureInfo.InvariantCulture);

    /// <summary>Whether <see cref="Prompts"/> gives new prompts at every call for this row ("2000s", "2000u"), so a caller
    /// that has used them all asks again instead of cycling.</summary>
    internal static bool MakesNewPrompts(string length) => length.EndsWith('s') || length.EndsWith('u');

    private static int _unseenSeed;
    private static int _unseenWords;

    /// <summary>
    /// <paramref name="count"/> prompts of <paramref name="length"/> characters that name the same two characters as
    /// <see cref="Prompt"/> and go on with lower-case letter strings of 6–10 letters, each made unique by a count: no word
    /// repeats (within a round or across rounds), so nothing remembered per word (ADR-053) is ever used again — the
    /// worst case for the word memo, and unlike any real prompt's vocabulary.
    /// </summary>
    internal static string[] UnseenWordPrompts(IReadOnlyList<Compliance.Classifiers.Text.NamedEntity> entities, int length, int seed, int count = 2_048)
    {
        var random = new Random(seed);
        var head = $"{entities[entities.Count / 3].CanonicalName} meets {entities[entities.Count / 2].Aliases[0].Replace('o', '0')} ";
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var builder = new System.Text.StringBuilder(head, length + 16);
            while (builder.Length < length)
            {
                // 1–5 random letters, then the process's word count in five base-26 letters: 6–10 letters, and no two
                // words of a process alike before 26^5 (11.9 million) words.
                var letters = random.Next(1, 6);
                for (var i = 0; i < letters; i++)
                {
                    builder.Append((char)('a' + random.Next(26)));
                }

                for (int i = 0, n = Interlocked.Increment(ref _unseenWords); i < 5; i++, n /= 26)
                {
                    builder.Append((char)('a' + (n % 26)));
                }

                builder.Append(random.Next(8) == 0 ? ". " : " ");
            }

            return builder.ToString(0, length);
        })];
    }

    private static string Stages(NameClassifier classifier, PolicySet policies, string prompt, string label)
    {
        var a0 = GC.GetAllocatedBytesForCurrentThread();
        var found = classifier.ClassifyAsync(prompt, CancellationToken.None).Result;
        var a1 = GC.GetAllocatedBytesForCurrentThread();
        var guarded = ClassifierGuard.RunInline(classifier.Name, t => classifier.ClassifyAsync(prompt, t), Budget, null, CancellationToken.None).Result;
        var a2 = GC.GetAllocatedBytesForCurrentThread();
        var facts = guarded.Select(s => new GrantFact(s.Entity!, GrantState.None)).ToList();
        var a3 = GC.GetAllocatedBytesForCurrentThread();
        _ = PolicyEngine.Evaluate(policies, new PolicyInput("prompt", found, facts));
        var a4 = GC.GetAllocatedBytesForCurrentThread();
        return FormattableString.Invariant($"{label}: classifier {a1 - a0:N0}, guard {a2 - a1 - (a1 - a0):N0}, facts {a3 - a2:N0}, policy {a4 - a3:N0}");
    }

    internal static string Prompt(IReadOnlyList<Compliance.Classifiers.Text.NamedEntity> entities, int length)
    {
        var prompt = $"{entities[entities.Count / 3].CanonicalName} meets {entities[entities.Count / 2].Aliases[0].Replace('o', '0')} ";
        while (prompt.Length < length)
        {
            prompt += "a slow cinematic pan across a rainy neon street at night, reflections on the wet asphalt, a woman in a yellow coat walks past. ";
        }

        return prompt[..length];
    }

    /// <summary>
    /// <paramref name="count"/> different prompts of <paramref name="length"/> characters, each naming the same two
    /// characters as <see cref="Prompt"/> and going on with ordinary prompts of the repository's corpora in a seeded
    /// random order (the matcher's false-positive corpus and the text-fusion data set's prompts: 1,000+ lines of varied
    /// vocabulary). Unlike <see cref="Prompt"/>, which repeats one sentence, consecutive calls do not look up the same
    /// keys, so the fuzzy index's lines are not all in the cache and the branch history does not repeat.
    /// </summary>
    /// <param name="shuffleSeed">When set ("2000s", ADR-053): the same corpus lines with their words in a random order
    /// drawn from this seed, new for every call of this method — the corpus's vocabulary with its phrases broken: single
    /// words recur as often as in the varied row, windows of two or more words far less often.</param>
    internal static string[] VariedPrompts(IReadOnlyList<Compliance.Classifiers.Text.NamedEntity> entities, int length, int count = 256, int? shuffleSeed = null)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "tests/Compliance.Classifiers.Tests/Data/ordinary-prompts.txt")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("the repository's prompt corpora were not found above " + AppContext.BaseDirectory);
        }

        var lines = File.ReadLines(Path.Combine(root, "tests/Compliance.Classifiers.Tests/Data/ordinary-prompts.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Concat(Directory.GetFiles(Path.Combine(root, "data/text-fusion"), "*.tsv").SelectMany(File.ReadLines)
                .Select(l => l.Split('\t')).Where(c => c.Length == 4 && c[0] != "group").Select(c => c[3]))
            .ToArray();
        var random = new Random(shuffleSeed ?? 12);
        var head = $"{entities[entities.Count / 3].CanonicalName} meets {entities[entities.Count / 2].Aliases[0].Replace('o', '0')} ";
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var builder = new System.Text.StringBuilder(head, length + 200);
            while (builder.Length < length)
            {
                var line = lines[random.Next(lines.Length)];
                if (shuffleSeed is not null)
                {
                    var words = line.Split(' ');
                    random.Shuffle(words);
                    line = string.Join(' ', words);
                }

                builder.Append(line).Append(". ");
            }

            return builder.ToString(0, length);
        })];
    }

    private static double At(double[] sorted, double quantile) => sorted[(int)Math.Min(sorted.Length - 1, quantile * sorted.Length)];

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}
