using System.Diagnostics;
using System.Globalization;
using Compliance.Audio;
using Microsoft.Extensions.Options;

// Two measurements, each printed as one line of figures (see README.md beside this file):
//   --lookup [references] [seconds per reference] [queries]   search latency of the in-memory index at scale
//   --fingerprint <audio file> [runs]                         fpcalc time per minute of audio, probe included
var mode = args.FirstOrDefault() ?? "--lookup";
return mode switch
{
    "--lookup" => Lookup(Arg(1, 100_000), Arg(2, 30), Arg(3, 1_000)),
    "--fingerprint" when args.Length > 1 => await FingerprintAsync(args[1], Arg(2, 3)),
    _ => Usage(),
};

int Arg(int at, int fallback) => args.Length > at ? int.Parse(args[at], CultureInfo.InvariantCulture) : fallback;

static int Usage()
{
    Console.Error.WriteLine("usage: --lookup [references] [seconds] [queries] | --fingerprint <file> [runs]");
    return 2;
}

// Synthetic fingerprints: uniformly random sub-fingerprints, so every index bucket is about equally full. Real
// fingerprints are skewed (some keys are common), which makes real buckets unequal; the figure is a floor on work.
static int Lookup(int references, int seconds, int queries)
{
    var random = new Random(20261130);
    var items = (int)(seconds / AudioFingerprint.ItemSeconds);
    var queryItems = (int)(10 / AudioFingerprint.ItemSeconds);
    var stored = new uint[references][];
    var build = Stopwatch.StartNew();
    using var index = new FingerprintIndex();
    for (var r = 0; r < references; r++)
    {
        stored[r] = Random(random, items);
        index.Add($"ref-{r}", stored[r]);
    }

    build.Stop();
    GC.Collect();
    var memoryMiB = GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;

    var latencies = new List<double>(queries * 2);
    var found = 0;
    var falseMatches = 0;
    for (var q = 0; q < queries; q++)
    {
        // A 10 s excerpt of a random reference with 15 % of its bits flipped (an MP3 re-encode is about 5–10 %).
        var target = random.Next(references);
        var at = random.Next(items - queryItems);
        var excerpt = stored[target].Skip(at).Take(queryItems).Select(v => Flip(random, v, 0.15)).ToArray();
        var watch = Stopwatch.StartNew();
        var matches = index.Search(excerpt);
        latencies.Add(watch.Elapsed.TotalMilliseconds);
        found += matches.Count > 0 && matches[0].ReferenceId == $"ref-{target}" ? 1 : 0;
        falseMatches += matches.Count(m => m.ReferenceId != $"ref-{target}");

        // And 10 s of audio that is in no reference.
        watch.Restart();
        falseMatches += index.Search(Random(random, queryItems)).Count;
        latencies.Add(watch.Elapsed.TotalMilliseconds);
    }

    latencies.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"references={references} seconds_each={seconds} postings={(long)references * items} build_s={build.Elapsed.TotalSeconds:0.0} managed_MiB={memoryMiB:0} " +
        $"searches={latencies.Count} p50_ms={Percentile(latencies, 0.50):0.00} p95_ms={Percentile(latencies, 0.95):0.00} " +
        $"p99_ms={Percentile(latencies, 0.99):0.00} max_ms={latencies[^1]:0.00} recall={found / (double)queries:0.000} false_matches={falseMatches}"));
    return 0;
}

static async Task<int> FingerprintAsync(string path, int runs)
{
    var fingerprinter = new AudioFingerprinter(Options.Create(new AudioFingerprintOptions()));
    var times = new List<double>();
    double minutes = 0;
    for (var run = 0; run < runs; run++)
    {
        var watch = Stopwatch.StartNew();
        var fingerprint = await fingerprinter.FingerprintFileAsync(path, CancellationToken.None);
        times.Add(watch.Elapsed.TotalSeconds);
        minutes = fingerprint.DurationSeconds / 60;
    }

    times.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"file={Path.GetFileName(path)} audio_min={minutes:0.00} runs={runs} median_s={times[times.Count / 2]:0.000} " +
        $"s_per_audio_minute={times[times.Count / 2] / minutes:0.000}"));
    return 0;
}

static uint[] Random(Random random, int items) => [.. Enumerable.Range(0, items).Select(_ => (uint)random.NextInt64(0, 1L << 32))];

static uint Flip(Random random, uint value, double rate)
{
    for (var bit = 0; bit < 32; bit++)
    {
        if (random.NextDouble() < rate)
        {
            value ^= 1u << bit;
        }
    }

    return value;
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
