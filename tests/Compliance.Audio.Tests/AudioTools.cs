using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace Compliance.Audio.Tests;

/// <summary>
/// The real recordings (fetched by scripts/test-audio.sh) and a real ffmpeg to make test audio with. A missing recording
/// fails the test with the command that fetches it: an audio test never skips silently.
/// </summary>
internal static class AudioTools
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    public static string Recording(string name)
    {
        var path = Path.Combine(Root.Value, ".data", "test-audio", name);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"Test recording {path} is missing: run scripts/test-audio.sh.");
        }

        return path;
    }

    public static AudioFingerprinter Fingerprinter(Action<AudioFingerprintOptions>? configure = null)
    {
        var options = new AudioFingerprintOptions();
        configure?.Invoke(options);
        return new AudioFingerprinter(Options.Create(options));
    }

    /// <summary>Runs ffmpeg with these arguments (no shell) and fails loudly if it does not succeed.</summary>
    public static void Ffmpeg(params string[] arguments) => Run("ffmpeg", ["-nostdin", "-v", "error", "-y", .. arguments]);

    /// <summary>Root-mean-square level of a file's audio, decoded by ffmpeg to mono float samples at 11,025 Hz.</summary>
    public static double Rms(string path)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-nostdin", "-v", "error", "-i", path, "-ac", "1", "-ar", "11025", "-f", "f32le", "-" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync();
        using var samples = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(samples);
        process.WaitForExit();
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(samples.GetBuffer().AsSpan(0, (int)samples.Length));
        double sum = 0;
        foreach (var sample in floats)
        {
            sum += (double)sample * sample;
        }

        return Math.Sqrt(sum / Math.Max(1, floats.Length));
    }

    public static double Duration(string path)
    {
        var output = Run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path]);
        return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }

    public static string TempFolder(string prefix)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static string Run(string tool, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', start.ArgumentList)} failed: {error.Result}");
        }

        return output;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compliance.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Compliance.sln was not found above the test binaries.");
    }
}
