using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Compliance.Imaging.Bench;

/// <summary>
/// Whole processes on the same list of files, interleaved round by round: Meta's C++ <c>pdq-photo-hasher</c> (when
/// <c>PDQ_REFERENCE_BIN</c> names it), <c>compliance-imaging pdq</c> (the JIT build) with the SkiaSharp path on one worker
/// (the baseline that needs nothing external) and with libvips on one worker, and the Native AOT executable (when
/// published) with libvips on one worker and on every core. CPU time is the
/// children's user + system time from <c>getrusage</c>, so "per core" ratios hold on a busy machine; outputs are
/// compared line by line.
/// </summary>
internal static partial class CliBench
{
    public static int Run(int repeat, int rounds, string? only)
    {
        var folder = SharedFolder.Find();
        var cli = Path.Combine(RepositoryRoot(), "src", "Compliance.Imaging.Cli", "bin", "Release", "net10.0", "compliance-imaging");
        if (!File.Exists(cli))
        {
            Console.Error.WriteLine($"{cli} is missing: dotnet build -c Release src/Compliance.Imaging.Cli first.");
            return 2;
        }

        // dotnet publish -c Release -r linux-x64 src/Compliance.Imaging.Cli puts the native executable here (ADR-024).
        var native = Path.Combine(Path.GetDirectoryName(cli)!, "linux-x64", "publish", "compliance-imaging");
        var pattern = only switch { "png" => "*.png", "jpg" => "*.jpg", _ => "*.*" };
        var vectors = Directory.GetFiles(folder, pattern).Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        var files = Enumerable.Repeat(vectors, repeat).SelectMany(f => f).ToArray();
        var variants = new List<(string Name, string Program, string[] Args)>();
        var reference = Environment.GetEnvironmentVariable("PDQ_REFERENCE_BIN");
        if (!string.IsNullOrEmpty(reference))
        {
            variants.Add(("C++ reference", reference, files));
        }

        var baseline = variants.Count;
        variants.Add(("JIT skia, 1 worker", cli, ["pdq", "--jobs", "1", "--decoder", "skia", .. files]));
        variants.Add(("JIT vips, 1 worker", cli, ["pdq", "--jobs", "1", .. files]));
        if (File.Exists(native))
        {
            variants.Add(("AOT vips, 1 worker", native, ["pdq", "--jobs", "1", .. files]));
            variants.Add(($"AOT vips, {Environment.ProcessorCount} workers", native, ["pdq", .. files]));
        }
        else
        {
            Console.WriteLine($"{native} is missing (dotnet publish -c Release -r linux-x64 src/Compliance.Imaging.Cli): JIT build only.");
            variants.Add(($"JIT vips, {Environment.ProcessorCount} workers", cli, ["pdq", .. files]));
        }

        var cpu = variants.Select(_ => new List<double>()).ToArray();
        var wall = variants.Select(_ => new List<double>()).ToArray();
        var outputs = new string[variants.Count];
        for (var round = 0; round < rounds; round++)
        {
            for (var v = 0; v < variants.Count; v++)
            {
                var (seconds, cpuSeconds, output) = Time(variants[v].Program, variants[v].Args);
                wall[v].Add(seconds);
                cpu[v].Add(cpuSeconds);
                outputs[v] = output;
            }
        }

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"{files.Length} files ({vectors.Length} vectors x {repeat}, {only ?? "png+jpg"}), {rounds} rounds, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end"));
        var referenceCpu = reference is null ? (double?)null : Median(cpu[0]);
        for (var v = 0; v < variants.Count; v++)
        {
            var perImage = Median(cpu[v]) * 1000 / files.Length;
            var vsReference = referenceCpu is { } r ? string.Create(inv, $"  ref/this CPU {r / Median(cpu[v]):F2}x") : "";
            var vsSkia = string.Create(inv, $"  skia/this CPU {Median(cpu[baseline]) / Median(cpu[v]):F2}x");
            var same = outputs[v] == outputs[baseline] ? "output = skia's" : "OUTPUT DIFFERS from skia's";
            Console.WriteLine(string.Create(inv, $"  {variants[v].Name,-22} CPU {perImage,6:F2} ms/image  wall {Median(wall[v]) * 1000 / files.Length,6:F2} ms/image ({files.Length / Median(wall[v]),6:F0} images/s){vsReference}{vsSkia}  {same}"));
        }

        return outputs.All(o => o == outputs[baseline]) ? 0 : 1;
    }

    private static (double Seconds, double CpuSeconds, string Output) Time(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var before = ChildrenCpuSeconds();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var seconds = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited {process.ExitCode}: {stderr.Result}");
        }

        return (seconds, ChildrenCpuSeconds() - before, output);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compliance.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Compliance.sln not found above the benchmark's folder.");
    }

    // User + system time of every child waited for so far (RUSAGE_CHILDREN).
    private static double ChildrenCpuSeconds()
    {
        if (GetRusage(-1, out var usage) != 0)
        {
            throw new InvalidOperationException("getrusage failed.");
        }

        return usage.UserSeconds + (usage.UserMicroseconds / 1e6) + usage.SystemSeconds + (usage.SystemMicroseconds / 1e6);
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, out Rusage usage);

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;

        // The remaining 14 longs of struct rusage (memory and I/O counters), unused here.
        public unsafe fixed long Rest[14];
    }
}
