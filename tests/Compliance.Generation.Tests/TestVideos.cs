using System.Diagnostics;

namespace Compliance.Generation.Tests;

/// <summary>
/// Makes the test videos with the real ffmpeg once per run, under a fresh folder that is deleted afterwards. The
/// process's TMPDIR is pointed at an empty folder of its own for the whole run (ffmpeg and ffprobe inherit it), so
/// tests can assert that sampling leaves no temporary file behind anywhere.
/// </summary>
public sealed class TestVideos : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"compliance-generation-tests-{Guid.NewGuid():N}");
    private string? _previousTmpDir;

    public string VideoFolder => Path.Combine(_root, "videos");

    /// <summary>TMPDIR of this process and its children while the tests run.</summary>
    public string ProcessTempFolder => Path.Combine(_root, "tmp");

    /// <summary>Three 2.5 s segments (testsrc2, red, blue) at 320×240, 30 fps: cuts at exactly 2.5 s and 5.0 s.</summary>
    public string ThreeCuts => Path.Combine(VideoFolder, "three-cuts.mp4");

    /// <summary>3 s of testsrc2 at 1920×1080, 25 fps: no cuts, needs downscaling.</summary>
    public string FullHd => Path.Combine(VideoFolder, "full-hd.mp4");

    /// <summary>2 s of testsrc2 at 360×640 (portrait), 30 fps.</summary>
    public string Portrait => Path.Combine(VideoFolder, "portrait.mp4");

    public string Empty => Path.Combine(VideoFolder, "empty.mp4");

    public string RandomBytes => Path.Combine(VideoFolder, "random.mp4");

    /// <summary>The first half of <see cref="ThreeCuts"/>: ffmpeg writes the moov atom last, so it is gone.</summary>
    public string Truncated => Path.Combine(VideoFolder, "truncated.mp4");

    public string PngNamedMp4 => Path.Combine(VideoFolder, "picture.mp4");

    /// <summary>2 s of a sine tone in an MP4 container with no video stream.</summary>
    public string AudioOnly => Path.Combine(VideoFolder, "audio-only.mp4");

    /// <summary>Encoder for the test videos: libx264 where the ffmpeg build has it, else the built-in mpeg4.</summary>
    public string VideoCodec { get; private set; } = "mpeg4";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(VideoFolder);
        Directory.CreateDirectory(ProcessTempFolder);
        _previousTmpDir = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", ProcessTempFolder);

        var encoders = await RunFfmpegAsync("-hide_banner", "-encoders");
        VideoCodec = encoders.Contains(" libx264 ", StringComparison.Ordinal) ? "libx264" : "mpeg4";

        await RunFfmpegAsync(
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=2.5",
            "-f", "lavfi", "-i", "color=c=red:size=320x240:rate=30:duration=2.5",
            "-f", "lavfi", "-i", "color=c=blue:size=320x240:rate=30:duration=2.5",
            "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0",
            "-c:v", VideoCodec, "-pix_fmt", "yuv420p", ThreeCuts);
        await MakeTestSourceAsync(FullHd, "1920x1080", 25, 3);
        await MakeTestSourceAsync(Portrait, "360x640", 30, 2);
        await RunFfmpegAsync("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", AudioOnly);

        var png = Path.Combine(VideoFolder, "picture.png");
        await RunFfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", png);
        File.Move(png, PngNamedMp4);

        await File.WriteAllBytesAsync(Empty, []);
        var noise = new byte[64 * 1024];
        new Random(20240601).NextBytes(noise);
        await File.WriteAllBytesAsync(RandomBytes, noise);
        var whole = await File.ReadAllBytesAsync(ThreeCuts);
        await File.WriteAllBytesAsync(Truncated, whole.AsMemory(0, whole.Length / 2).ToArray());
    }

    public Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable("TMPDIR", _previousTmpDir);
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A fresh, empty folder for one test's spooled uploads.</summary>
    public string NewScratchFolder()
    {
        var folder = Path.Combine(_root, "scratch", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private Task MakeTestSourceAsync(string path, string size, int rate, int seconds) =>
        RunFfmpegAsync("-f", "lavfi", "-i", $"testsrc2=size={size}:rate={rate}:duration={seconds}",
            "-c:v", VideoCodec, "-pix_fmt", "yuv420p", path);

    internal static async Task<string> RunFfmpegAsync(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-nostdin", "-y", "-loglevel", "error", .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed: {await stderr}");
        }

        return await stdout;
    }
}

[CollectionDefinition(Name)]
public sealed class VideoCollection : ICollectionFixture<TestVideos>
{
    public const string Name = "videos";
}
