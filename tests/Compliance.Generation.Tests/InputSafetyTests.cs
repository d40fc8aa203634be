using Compliance.Generation.Frames;

namespace Compliance.Generation.Tests;

/// <summary>
/// An upload must not make ffmpeg read the server's own files: only allow-listed containers, sniffed from their bytes,
/// reach ffprobe or ffmpeg, and those run with the demuxer forced and the file protocol alone. The binaries are
/// wrapped by spies that log every command line, so "ffmpeg never ran" is observed, not assumed.
/// </summary>
[Collection(VideoCollection.Name)]
public sealed class InputSafetyTests(TestVideos videos)
{
    public static TheoryData<string> RefusedFiles() =>
    [
        nameof(TestVideos.HlsPlaylist),
        nameof(TestVideos.HlsPlaylistNamedMp4),
        nameof(TestVideos.FfconcatScript),
        nameof(TestVideos.PngNamedMp4),
        nameof(TestVideos.TransportStream),
        nameof(TestVideos.RandomBytes),
    ];

    [Theory]
    [MemberData(nameof(RefusedFiles))]
    public async Task PlaylistsScriptsImagesAndOtherContainersAreRefusedBeforeAnyFfmpegRuns(string file)
    {
        var path = (string)typeof(TestVideos).GetProperty(file)!.GetValue(videos)!;
        var spy = videos.NewSpyBinaryFolder();
        var sampler = new FrameSampler(new FrameSamplerOptions { BinaryFolder = spy });

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(() => sampler.SampleAsync(path, CancellationToken.None));

        Assert.Equal(VideoRejectionReason.NotAVideo, rejected.Reason);
        Assert.Contains("Only MP4/MOV/3GP, Matroska/WebM and AVI", rejected.Message, StringComparison.Ordinal);
        Assert.Empty(TestVideos.SpyCalls(spy));
    }

    [Fact]
    public async Task AnUploadedPlaylistIsRefusedAndItsSpoolFileDeleted()
    {
        var spy = videos.NewSpyBinaryFolder();
        var scratch = videos.NewScratchFolder();
        var sampler = new FrameSampler(new FrameSamplerOptions { BinaryFolder = spy, TempDirectory = scratch });
        await using var upload = File.OpenRead(videos.HlsPlaylistNamedMp4);

        var rejected = await Assert.ThrowsAsync<VideoRejectedException>(() => sampler.SampleAsync(upload, CancellationToken.None));

        Assert.Equal(VideoRejectionReason.NotAVideo, rejected.Reason);
        Assert.Contains("HLS", rejected.Message, StringComparison.Ordinal);
        Assert.Empty(TestVideos.SpyCalls(spy));
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
    }

    [Theory]
    [InlineData(nameof(TestVideos.ThreeCuts), "-f mov -protocol_whitelist file -enable_drefs 0")]
    [InlineData(nameof(TestVideos.Matroska), "-f matroska -protocol_whitelist file")]
    public async Task AcceptedVideosAreProbedAndDecodedWithTheirDemuxerForcedAndOnlyTheFileProtocol(string file, string hardening)
    {
        var path = (string)typeof(TestVideos).GetProperty(file)!.GetValue(videos)!;
        var spy = videos.NewSpyBinaryFolder();

        var video = await new FrameSampler(new FrameSamplerOptions { BinaryFolder = spy }).SampleAsync(path, CancellationToken.None);

        Assert.NotEmpty(video.Frames);
        // FFMpegCore also runs "ffprobe -version" to find the binary; only the calls that open the file matter.
        var calls = TestVideos.SpyCalls(spy).Where(c => c.Contains(path, StringComparison.Ordinal)).ToList();
        Assert.True(calls.Count == 2, string.Join("\n", calls));
        Assert.StartsWith("ffprobe ", calls[0], StringComparison.Ordinal);
        Assert.Contains(hardening, calls[0], StringComparison.Ordinal);
        Assert.StartsWith("ffmpeg ", calls[1], StringComparison.Ordinal);
        Assert.Contains(hardening, calls[1], StringComparison.Ordinal);
        Assert.Contains(" -i file:" + path, calls[1], StringComparison.Ordinal);
        Assert.DoesNotContain("-frames:v", calls[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUploadIsSpooledOnceWithItsHashAndDeletedOnDispose()
    {
        var scratch = videos.NewScratchFolder();
        var sampler = new FrameSampler(new FrameSamplerOptions { TempDirectory = scratch });
        var bytes = await File.ReadAllBytesAsync(videos.ThreeCuts);
        string spooledPath;

        await using (var upload = new MemoryStream(bytes))
        await using (var spooled = await sampler.SpoolAsync(upload, CancellationToken.None))
        {
            spooledPath = spooled.Path;
            Assert.Equal(scratch, Path.GetDirectoryName(spooled.Path));
            Assert.Equal(bytes.Length, spooled.Length);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), spooled.Sha256);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(spooled.Path));
        }

        Assert.False(File.Exists(spooledPath));
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
    }
}
