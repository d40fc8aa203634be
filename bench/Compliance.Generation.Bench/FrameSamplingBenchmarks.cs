using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Compliance.Generation.Frames;

namespace Compliance.Generation.Bench;

/// <summary>
/// End-to-end sampling of a 10 s 1280×720 30 fps video (300 source frames) with the real ffmpeg: probe, decode every
/// frame, select, convert to RGB24 and read the pipe. Frames go through the streaming API and are only counted, so
/// the figure is the sampler's cost, not a consumer's. Frames per second = frames per op / mean.
/// </summary>
[SimpleJob(RuntimeMoniker.Net10_0, launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class FrameSamplingBenchmarks
{
    private static readonly Func<SampledFrame, CancellationToken, ValueTask> Count = static (_, _) => ValueTask.CompletedTask;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"compliance-generation-bench-{Guid.NewGuid():N}");
    private string _video = string.Empty;
    private FrameSampler _oneFpsWithScenes = null!;
    private FrameSampler _fiveFpsWithScenes = null!;
    private FrameSampler _fiveFpsOnly = null!;

    [GlobalSetup]
    public void Setup()
    {
        Directory.CreateDirectory(_folder);
        _video = Path.Combine(_folder, "testsrc2-720p-10s.mp4");
        var codec = Ffmpeg("-hide_banner", "-encoders").Contains(" libx264 ", StringComparison.Ordinal)
            ? new[] { "-c:v", "libx264", "-preset", "veryfast" }
            : ["-c:v", "mpeg4", "-q:v", "3"];
        Ffmpeg(["-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=10", .. codec, "-pix_fmt", "yuv420p", _video]);

        _oneFpsWithScenes = new FrameSampler(new FrameSamplerOptions { FramesPerSecond = 1, SceneChangeThreshold = 0.3 });
        _fiveFpsWithScenes = new FrameSampler(new FrameSamplerOptions { FramesPerSecond = 5, SceneChangeThreshold = 0.3 });
        _fiveFpsOnly = new FrameSampler(new FrameSamplerOptions { FramesPerSecond = 5, SceneChangeThreshold = null });

        // Frames per op, for turning the mean into frames per second in the README.
        foreach (var (name, sampler) in new[] { ("1 fps + scenes", _oneFpsWithScenes), ("5 fps + scenes", _fiveFpsWithScenes), ("5 fps", _fiveFpsOnly) })
        {
            var summary = sampler.SampleAsync(_video, Count, CancellationToken.None).GetAwaiter().GetResult();
            Console.WriteLine($"// frames per op, {name}: {summary.FrameCount}");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [Benchmark(Baseline = true, Description = "1 fps + scene detection")]
    public async Task<int> OneFpsWithScenes() => (await _oneFpsWithScenes.SampleAsync(_video, Count, CancellationToken.None)).FrameCount;

    [Benchmark(Description = "5 fps + scene detection")]
    public async Task<int> FiveFpsWithScenes() => (await _fiveFpsWithScenes.SampleAsync(_video, Count, CancellationToken.None)).FrameCount;

    [Benchmark(Description = "5 fps, no scene detection")]
    public async Task<int> FiveFpsOnly() => (await _fiveFpsOnly.SampleAsync(_video, Count, CancellationToken.None)).FrameCount;

    private static string Ffmpeg(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-nostdin", "-loglevel", "error", .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException($"ffmpeg failed: {stderr.Result}");
    }
}
