using System.Text;

namespace Compliance.Audio.Tests;

public sealed class AudioFingerprinterTests : IDisposable
{
    private readonly string _work = AudioTools.TempFolder("audio-fp");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task RealRecordingGivesTheSameFingerprintAndHashEveryTime()
    {
        var fingerprinter = AudioTools.Fingerprinter();
        var path = AudioTools.Recording("xblast-song2.wav");

        var first = await fingerprinter.FingerprintFileAsync(path, CancellationToken.None);
        var second = await fingerprinter.FingerprintFileAsync(path, CancellationToken.None);

        Assert.Equal(first.Values, second.Values);
        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Matches("^[0-9a-f]{64}$", first.Sha256);
        Assert.InRange(first.DurationSeconds, AudioTools.Duration(path) - 3, AudioTools.Duration(path) + 0.5);
    }

    [Theory]
    [InlineData("mp3", "libmp3lame")]
    [InlineData("m4a", "aac")]
    [InlineData("ogg", "libopus")]
    [InlineData("flac", "flac")]
    [InlineData("webm", "libopus")]
    public async Task EveryAcceptedContainerIsFingerprintedAsTheSameMusic(string extension, string codec)
    {
        var source = AudioTools.Recording("xblast-song2.wav");
        var encoded = Path.Combine(_work, "song." + extension);
        AudioTools.Ffmpeg("-i", source, "-c:a", codec, "-b:a", "128k", encoded);
        var fingerprinter = AudioTools.Fingerprinter();
        using var index = new FingerprintIndex();
        index.Add("song2", (await fingerprinter.FingerprintFileAsync(source, CancellationToken.None)).Values);

        // Uploaded as a stream, with a name that says nothing: the container is known from its bytes.
        await using var upload = File.OpenRead(encoded);
        var fingerprint = await fingerprinter.FingerprintAsync(upload, CancellationToken.None);

        var match = Assert.Single(index.Search(fingerprint.Values));
        Assert.Equal("song2", match.ReferenceId);
        Assert.True(match.Score > 0.6, $"score {match.Score}");
    }

    [Theory]
    [InlineData("#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\n/etc/passwd\n", "an HLS/M3U playlist")]
    [InlineData("ffconcat version 1.0\nfile '/etc/passwd'\n", "an ffconcat script")]
    [InlineData("[playlist]\nFile1=/etc/passwd\n", "a PLS playlist")]
    [InlineData("just some text, not audio at all", "not a recognised audio container")]
    public async Task PlaylistsScriptsAndTextAreRefusedBeforeAnyProcessRuns(string content, string described)
    {
        // Tools that do not exist: reaching either would throw InvalidOperationException, not a typed rejection.
        var fingerprinter = AudioTools.Fingerprinter(o => (o.FpcalcPath, o.FfprobePath) = ("/nonexistent/fpcalc", "/nonexistent/ffprobe"));
        using var upload = new MemoryStream(Encoding.UTF8.GetBytes(content));

        var rejected = await Assert.ThrowsAsync<AudioRejectedException>(() => fingerprinter.FingerprintAsync(upload, CancellationToken.None));

        Assert.Equal(AudioRejectionReason.NotAudio, rejected.Reason);
        Assert.Contains(described, rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ZeroLengthUploadIsRefusedAsEmpty()
    {
        using var upload = new MemoryStream();

        var rejected = await Assert.ThrowsAsync<AudioRejectedException>(() => AudioTools.Fingerprinter().FingerprintAsync(upload, CancellationToken.None));

        Assert.Equal(AudioRejectionReason.Empty, rejected.Reason);
    }

    [Fact]
    public async Task AudioLongerThanTheLimitIsRefused()
    {
        var path = Path.Combine(_work, "long.flac");
        AudioTools.Ffmpeg("-f", "lavfi", "-i", "sine=f=440:r=8000", "-t", "20", path);

        var rejected = await Assert.ThrowsAsync<AudioRejectedException>(() =>
            AudioTools.Fingerprinter(o => o.MaxDuration = TimeSpan.FromSeconds(10)).FingerprintFileAsync(path, CancellationToken.None));

        Assert.Equal(AudioRejectionReason.TooLong, rejected.Reason);
    }

    [Fact]
    public async Task HundredsOfChannelsAreRefusedByTheProbeBeforeDecoding()
    {
        var path = Path.Combine(_work, "many.wav");
        var inputs = Enumerable.Range(0, 64).SelectMany(_ => new[] { "-f", "lavfi", "-t", "1", "-i", "anullsrc=r=8000:cl=mono" }).ToList();
        AudioTools.Ffmpeg([.. inputs, "-filter_complex", $"amerge=inputs=64", path]);

        var rejected = await Assert.ThrowsAsync<AudioRejectedException>(() =>
            AudioTools.Fingerprinter(o => o.FpcalcPath = "/nonexistent/fpcalc").FingerprintFileAsync(path, CancellationToken.None));

        Assert.Equal(AudioRejectionReason.TooManyChannels, rejected.Reason);
    }

    [Fact]
    public async Task TruncatedAudioBehindAValidHeaderIsRefusedAsCorrupt()
    {
        var whole = Path.Combine(_work, "whole.flac");
        AudioTools.Ffmpeg("-i", AudioTools.Recording("xblast-song2.wav"), whole);
        var broken = Path.Combine(_work, "broken.flac");
        File.WriteAllBytes(broken, [.. File.ReadAllBytes(whole).Take(4), .. Enumerable.Repeat((byte)0x5A, 4096)]);

        var rejected = await Assert.ThrowsAsync<AudioRejectedException>(() => AudioTools.Fingerprinter().FingerprintFileAsync(broken, CancellationToken.None));

        Assert.Equal(AudioRejectionReason.Corrupt, rejected.Reason);
    }

    [Fact]
    public async Task VideoWithoutAnAudioTrackIsRefusedAsHavingNoAudioStream()
    {
        var path = Path.Combine(_work, "silent-film.mkv");
        AudioTools.Ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x64:r=5", "-t", "2", path);

        var rejected = await Assert.ThrowsAsync<AudioRejectedException>(() => AudioTools.Fingerprinter().FingerprintFileAsync(path, CancellationToken.None));

        Assert.Equal(AudioRejectionReason.NoAudioStream, rejected.Reason);
        Assert.Contains("no audio stream", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileWithTwoAudioStreamsIsRefusedRatherThanHalfHeard()
    {
        // fpcalc would fingerprint one of the two: the other (here, the music) could go unheard.
        var path = Path.Combine(_work, "two-tracks.mkv");
        AudioTools.Ffmpeg("-f", "lavfi", "-t", "6", "-i", "anullsrc=r=8000:cl=mono", "-t", "6", "-i", AudioTools.Recording("xblast-song2.wav"),
            "-map", "0:a", "-map", "1:a", "-c:a", "flac", path);

        var rejected = await Assert.ThrowsAsync<AudioRejectedException>(() =>
            AudioTools.Fingerprinter(o => o.FpcalcPath = "/nonexistent/fpcalc").FingerprintFileAsync(path, CancellationToken.None));

        Assert.Equal(AudioRejectionReason.MultipleAudioStreams, rejected.Reason);
    }

    [Fact]
    public async Task UploadLargerThanTheLimitIsRefusedWhileSpoolingAndLeavesNoFile()
    {
        var spool = Path.Combine(_work, "spool");
        using var upload = new MemoryStream(new byte[4096]);

        var rejected = await Assert.ThrowsAsync<AudioRejectedException>(() =>
            AudioTools.Fingerprinter(o => (o.MaxFileBytes, o.SpoolFolder) = (1024, spool)).FingerprintAsync(upload, CancellationToken.None));

        Assert.Equal(AudioRejectionReason.TooLarge, rejected.Reason);
        Assert.Empty(Directory.GetFiles(spool));
    }

    [Fact]
    public async Task FingerprintingThatOutrunsItsBudgetIsKilledAndRefusedAsTimeout()
    {
        var path = Path.Combine(_work, "slow.wav");
        AudioTools.Ffmpeg("-f", "lavfi", "-i", "anoisesrc=r=22050:c=pink", "-t", "120", path);

        var started = DateTime.UtcNow;
        var rejected = await Assert.ThrowsAsync<AudioRejectedException>(() =>
            AudioTools.Fingerprinter(o => o.Timeout = TimeSpan.FromMilliseconds(50)).FingerprintFileAsync(path, CancellationToken.None));

        Assert.Equal(AudioRejectionReason.Timeout, rejected.Reason);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }
}
