using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Compliance.Tests.Shared;

/// <summary>
/// Video test helpers shared by the Generation and API tests (linked into both projects, written once): spy wrappers
/// around the real ffmpeg and ffprobe, and a Matroska file whose declared length is a lie.
/// </summary>
internal static class FfmpegTestTools
{
    private const string SpyLog = "calls.log";

    /// <summary>
    /// Writes <c>ffmpeg</c> and <c>ffprobe</c> scripts into <paramref name="folder"/> that append their command line to
    /// <c>calls.log</c> beside them and then run the real binaries from PATH: point the sampler's BinaryFolder at the
    /// folder to see exactly which processes ran, and with which arguments.
    /// </summary>
    public static string CreateSpyBinaries(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var tool in new[] { "ffmpeg", "ffprobe" })
        {
            var real = Environment.GetEnvironmentVariable("PATH")!.Split(Path.PathSeparator)
                .Select(dir => Path.Combine(dir, tool)).First(File.Exists);
            var script = Path.Combine(folder, tool);
            File.WriteAllText(script, $"#!/bin/sh\nprintf '%s\\n' \"{tool} $*\" >> '{Path.Combine(folder, SpyLog)}'\nexec '{real}' \"$@\"\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        return folder;
    }

    /// <summary>The command lines the spy binaries in <paramref name="folder"/> have run, oldest first.</summary>
    public static IReadOnlyList<string> SpyCalls(string folder)
    {
        var log = Path.Combine(folder, SpyLog);
        return File.Exists(log) ? File.ReadAllLines(log) : [];
    }

    /// <summary>
    /// Rewrites a Matroska file's declared length: the Segment Info Duration (element 0x4489, an 8-byte float in
    /// milliseconds, as ffmpeg writes it) and the video track's DURATION tag. The frames are untouched, so the file runs
    /// on past what it declares, as a hostile upload would.
    /// </summary>
    public static byte[] DeclareMatroskaDuration(byte[] mkv, int actualSeconds, int declaredSeconds)
    {
        ArgumentNullException.ThrowIfNull(mkv);
        var at = mkv.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x44, 0x89, 0x88]);
        if (at < 0)
        {
            throw new InvalidOperationException("No 8-byte Duration element in the Matroska header.");
        }

        BinaryPrimitives.WriteDoubleBigEndian(mkv.AsSpan(at + 3, 8), declaredSeconds * 1000.0);
        var actualTag = Encoding.ASCII.GetBytes(TimeSpan.FromSeconds(actualSeconds).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture));
        var declaredTag = Encoding.ASCII.GetBytes(TimeSpan.FromSeconds(declaredSeconds).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture));
        var tag = mkv.AsSpan().IndexOf(actualTag);
        if (tag >= 0)
        {
            declaredTag.CopyTo(mkv.AsSpan(tag));
        }

        return mkv;
    }
}
