using System.Diagnostics;
using Compliance.Tests.Shared;

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

    /// <summary>
    /// 340 s at 1 fps, 160×120: 310 s of testsrc2, then 30 s of solid red (a cut at 310 s). Longer than 300 frames at
    /// 1 fps, the old frame budget, which ended screening at 299 s.
    /// </summary>
    public string LongWithRedEnding => Path.Combine(VideoFolder, "long-red-ending.mp4");

    /// <summary>
    /// 90 s at 30 fps, 160×120: 30 s of hard cuts every second frame (black and white shots of 2 frames, ~450 cuts),
    /// then 60 s of solid green. Enough cuts to use up any shared frame budget in the first 30 s.
    /// </summary>
    public string RapidCutsThenGreen => Path.Combine(VideoFolder, "rapid-cuts.mp4");

    /// <summary>60 s of testsrc2 at 5 fps, 160×120, moov first (faststart), cut to its first half: decoding stops at ~30 s.</summary>
    public string Mp4CutMidStream => Path.Combine(VideoFolder, "cut-mid-stream.mp4");

    /// <summary>The same, as Matroska (its header declares 60 s), cut to its first half.</summary>
    public string MkvCutMidStream => Path.Combine(VideoFolder, "cut-mid-stream.mkv");

    /// <summary>60 s of testsrc2 at 5 fps in Matroska whose header and DURATION tag were rewritten to say 20 s.</summary>
    public string MkvUnderDeclared => Path.Combine(VideoFolder, "under-declared.mkv");

    /// <summary>An HLS playlist naming <see cref="ThreeCuts"/> by its absolute path: ffmpeg would open that file.</summary>
    public string HlsPlaylist => Path.Combine(VideoFolder, "playlist.m3u8");

    /// <summary>The same playlist bytes under a .mp4 name.</summary>
    public string HlsPlaylistNamedMp4 => Path.Combine(VideoFolder, "playlist.mp4");

    /// <summary>An ffconcat script naming <see cref="ThreeCuts"/> by its absolute path.</summary>
    public string FfconcatScript => Path.Combine(VideoFolder, "concat.mp4");

    /// <summary>2 s of testsrc2 as MPEG-TS, a container not on the allow-list.</summary>
    public string TransportStream => Path.Combine(VideoFolder, "stream.ts");

    /// <summary>2 s of testsrc2 as Matroska.</summary>
    public string Matroska => Path.Combine(VideoFolder, "short.mkv");

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

        await RunFfmpegAsync(
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=1:duration=310",
            "-f", "lavfi", "-i", "color=c=red:size=160x120:rate=1:duration=30",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0", "-c:v", VideoCodec, "-pix_fmt", "yuv420p", LongWithRedEnding);
        await RunFfmpegAsync(
            "-f", "lavfi", "-i", "color=c=white:size=160x120:rate=30:duration=30,geq=lum='if(mod(floor(N/2),2),235,16)':cb=128:cr=128",
            "-f", "lavfi", "-i", "color=c=green:size=160x120:rate=30:duration=60",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0", "-c:v", VideoCodec, "-pix_fmt", "yuv420p", RapidCutsThenGreen);

        var faststart = Path.Combine(VideoFolder, "faststart.mp4");
        await RunFfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=60", "-c:v", VideoCodec, "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", faststart);
        await WriteFirstHalfAsync(faststart, Mp4CutMidStream);
        var mkv = Path.Combine(VideoFolder, "whole.mkv");
        await RunFfmpegAsync("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=60", "-c:v", VideoCodec, "-pix_fmt", "yuv420p", mkv);
        await WriteFirstHalfAsync(mkv, MkvCutMidStream);
        await File.WriteAllBytesAsync(MkvUnderDeclared, FfmpegTestTools.DeclareMatroskaDuration(await File.ReadAllBytesAsync(mkv), 60, 20));
        await MakeTestSourceAsync(Matroska, "160x120", 10, 2);
        await MakeTestSourceAsync(TransportStream, "160x120", 10, 2);

        var playlist = $"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:8\n#EXTINF:7.5,\n{ThreeCuts}\n#EXT-X-ENDLIST\n";
        await File.WriteAllTextAsync(HlsPlaylist, playlist);
        await File.WriteAllTextAsync(HlsPlaylistNamedMp4, playlist);
        await File.WriteAllTextAsync(FfconcatScript, $"ffconcat version 1.0\nfile '{ThreeCuts}'\n");
    }

    private static async Task WriteFirstHalfAsync(string source, string target)
    {
        var bytes = await File.ReadAllBytesAsync(source);
        await File.WriteAllBytesAsync(target, bytes.AsMemory(0, bytes.Length / 2).ToArray());
    }

    public Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable("TMPDIR", _previousTmpDir);
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A fresh folder of spy ffmpeg/ffprobe wrappers (<see cref="FfmpegTestTools.CreateSpyBinaries"/>).</summary>
    public string NewSpyBinaryFolder() => FfmpegTestTools.CreateSpyBinaries(NewScratchFolder());

    /// <summary>The command lines the spy binaries in <paramref name="spyFolder"/> have run, oldest first.</summary>
    public static IReadOnlyList<string> SpyCalls(string spyFolder) => FfmpegTestTools.SpyCalls(spyFolder);

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
