using System.Diagnostics;
using Compliance.Tests.Shared;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>Videos made with the real ffmpeg (installed by scripts/setup.sh) for the video gate tests.</summary>
internal static class TestVideos
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("compliance-test-videos-").FullName;

    /// <summary>Two seconds of ffmpeg's moving test pattern, then two seconds of <paramref name="image"/>: a cut at t = 2 s.</summary>
    public static byte[] PatternThenImage(string image) =>
        Make($"pattern-then-{Path.GetFileNameWithoutExtension(image)}.mp4",
            "-f", "lavfi", "-t", "2", "-i", "testsrc2=size=640x360:rate=10",
            "-loop", "1", "-t", "2", "-framerate", "10", "-i", image,
            "-filter_complex", "[1:v]scale=640:360,setsar=1[b];[0:v]setsar=1[a];[a][b]concat=n=2:v=1[v]", "-map", "[v]",
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast");

    /// <summary>Three seconds of ffmpeg's moving test pattern: nothing anyone owns.</summary>
    public static byte[] Pattern() =>
        Make("pattern.mp4", "-f", "lavfi", "-t", "3", "-i", "testsrc2=size=640x360:rate=10", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast");

    /// <summary>
    /// A long, cheap clip (1 fps, 320×180, 340 s): 310 s of the moving test pattern, then 30 s of
    /// <paramref name="image"/> — a denied character that appears only at the very end.
    /// </summary>
    public static byte[] LongPatternThenImage(string image) =>
        Make($"long-pattern-then-{Path.GetFileNameWithoutExtension(image)}.mp4",
            "-f", "lavfi", "-t", "310", "-i", "testsrc2=size=320x180:rate=1",
            "-loop", "1", "-t", "30", "-framerate", "1", "-i", image,
            "-filter_complex", "[1:v]scale=320:180,setsar=1[b];[0:v]setsar=1[a];[a][b]concat=n=2:v=1[v]", "-map", "[v]",
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast");

    /// <summary>60 s of the test pattern (5 fps, 160×120) with its index first (faststart), cut to its first half.</summary>
    public static byte[] CutMidStream()
    {
        var whole = Make("faststart.mp4", "-f", "lavfi", "-t", "60", "-i", "testsrc2=size=160x120:rate=5",
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart");
        return whole[..(whole.Length / 2)];
    }

    /// <summary>60 s of the test pattern (5 fps, 160×120) as Matroska, rewritten to declare only 40 s.</summary>
    public static byte[] RunsPastItsDeclaredLength() =>
        FfmpegTestTools.DeclareMatroskaDuration(
            Make("sixty-seconds.mkv", "-f", "lavfi", "-t", "60", "-i", "testsrc2=size=160x120:rate=5", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast"),
            60, 40);

    /// <summary>The path of <see cref="Pattern"/> on this machine: a real local video for playlists to name.</summary>
    public static string PatternPath()
    {
        Pattern();
        return Path.Combine(Folder, "pattern.mp4");
    }

    /// <summary>A fresh folder of spy ffmpeg/ffprobe wrappers that log every command line (<see cref="FfmpegTestTools"/>).</summary>
    public static string NewSpyBinaryFolder() => FfmpegTestTools.CreateSpyBinaries(Path.Combine(Folder, "spy-" + Guid.NewGuid().ToString("N")));

    private static byte[] Make(string name, params string[] args)
    {
        var output = Path.Combine(Folder, name);
        if (!File.Exists(output))
        {
            var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-hide_banner", "-nostdin", "-y" }.Concat(args).Append(output))
            {
                psi.ArgumentList.Add(a);
            }

            using var process = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start; run scripts/setup.sh.");
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"ffmpeg failed ({process.ExitCode}): {stderr}");
            }
        }

        return File.ReadAllBytes(output);
    }
}
