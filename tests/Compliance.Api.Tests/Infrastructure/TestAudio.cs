using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Compliance.Storage.Local;

namespace Compliance.Api.Tests.Infrastructure;

/// <summary>
/// Freely licensed recordings from Debian packages (fetched by scripts/test-audio.sh into .data/test-audio; provenance in
/// tests/Compliance.Audio.Tests/README.md), and videos and hostile files made from them with the real ffmpeg. A missing
/// recording fails the test naming the script: an audio test never skips silently.
/// </summary>
internal static class TestAudio
{
    public static string Folder { get; } = Path.Combine(RepositoryRoot.Find(AppContext.BaseDirectory)!, ".data", "test-audio");

    private static readonly string Work = Directory.CreateTempSubdirectory("compliance-test-audio-").FullName;

    public static string Recording(string name)
    {
        var path = Path.Combine(Folder, name);
        return File.Exists(path) ? path : throw new InvalidOperationException($"Test recording {path} is missing: run scripts/test-audio.sh.");
    }

    /// <summary><paramref name="seconds"/> of ffmpeg's test pattern with <paramref name="seconds"/> of the recording from <paramref name="from"/> s as its AAC soundtrack, in MP4.</summary>
    public static byte[] VideoWithSoundtrack(string recording, int from, int seconds) =>
        Make($"{Path.GetFileNameWithoutExtension(recording)}-{from}-{seconds}.mp4",
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5", "-ss", from.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", Recording(recording),
            "-map", "0:v", "-map", "1:a", "-t", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k");

    /// <summary>
    /// A Matroska video whose audio track (12 s of a recording, PCM) has had its codec id rewritten to one no decoder
    /// knows: ffprobe still sees an audio stream, nothing can decode it. The pictures are intact.
    /// </summary>
    public static byte[] VideoWithUndecodableSoundtrack(string recording)
    {
        var mkv = Make($"{Path.GetFileNameWithoutExtension(recording)}-pcm.mkv",
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5", "-i", Recording(recording), "-map", "0:v", "-map", "1:a", "-t", "12",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", "-f", "matroska");
        var codec = Encoding.ASCII.GetBytes("A_PCM/INT/LIT");
        var at = mkv.AsSpan().IndexOf(codec);
        if (at < 0)
        {
            throw new InvalidOperationException("No PCM codec id in the Matroska track entry.");
        }

        Encoding.ASCII.GetBytes("A_QQQ/INT/LIT").CopyTo(mkv.AsSpan(at));
        return mkv;
    }

    /// <summary>A video with two audio tracks: silence first, then 12 s of the recording as the second track.</summary>
    public static byte[] VideoWithTwoSoundtracks(string recording) =>
        Make($"{Path.GetFileNameWithoutExtension(recording)}-two-tracks.mkv",
            "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5", "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-i", Recording(recording),
            "-map", "0:v", "-map", "1:a", "-map", "2:a", "-t", "12",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "matroska");

    /// <summary>Two hours of digital silence as FLAC (a few hundred KiB): genuinely hours long, cheap to send.</summary>
    public static byte[] TwoHoursOfSilence() =>
        Make("two-hours.flac", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "7200", "-c:a", "flac");

    /// <summary>A WAV header declaring <paramref name="channels"/> channels of 8-bit audio at 8 kHz, with one second of data.</summary>
    public static byte[] WavWithChannels(int channels)
    {
        var data = new byte[channels * 8000];
        Array.Fill(data, (byte)128);
        var wav = new byte[44 + data.Length];
        Encoding.ASCII.GetBytes("RIFF").CopyTo(wav, 0);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(4), 36 + data.Length);
        Encoding.ASCII.GetBytes("WAVEfmt ").CopyTo(wav, 8);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(20), 1);                      // PCM
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(22), (short)channels);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(24), 8000);                   // sample rate
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(28), 8000 * channels);        // byte rate
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(32), (short)channels);        // block align
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(34), 8);                      // bits per sample
        Encoding.ASCII.GetBytes("data").CopyTo(wav, 36);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(40), data.Length);
        data.CopyTo(wav, 44);
        return wav;
    }

    private static byte[] Make(string name, params string[] args)
    {
        var output = Path.Combine(Work, name);
        if (!File.Exists(output))
        {
            var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-hide_banner", "-nostdin", "-v", "error", "-y" }.Concat(args).Append(output))
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
