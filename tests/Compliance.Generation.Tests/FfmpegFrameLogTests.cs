using Compliance.Generation.Frames;

namespace Compliance.Generation.Tests;

public sealed class FfmpegFrameLogTests
{
    [Fact]
    public void AFrameRecordIsCompleteAtTheMarkerLine()
    {
        var log = new FfmpegFrameLog();

        Assert.Null(log.Accept("[Parsed_metadata_3 @ 0x5570d7377340] frame:2    pts:30720   pts_time:2.5"));
        Assert.Null(log.Accept("[Parsed_metadata_3 @ 0x5570d7377340] lavfi.scene_score=0.560600"));
        var stamp = log.Accept("[Parsed_metadata_3 @ 0x5570d7377340] compliance.sampled=1");

        Assert.Equal(new FrameStamp(2.5, 0.5606), stamp);
    }

    [Fact]
    public void WithoutASceneScoreTheStampHasNone()
    {
        var log = new FfmpegFrameLog();

        log.Accept("[Parsed_metadata_2 @ 0x1] frame:0    pts:0       pts_time:0");
        var stamp = log.Accept("[Parsed_metadata_2 @ 0x1] compliance.sampled=1");

        Assert.Equal(new FrameStamp(0, null), stamp);
    }

    [Fact]
    public void OtherLinesAreKeptAsDiagnostics()
    {
        var log = new FfmpegFrameLog();

        log.Accept("[mov,mp4,m4a,3gp,3g2,mj2 @ 0x2] moov atom not found");

        Assert.Contains("moov atom not found", log.Diagnostics, StringComparison.Ordinal);
    }
}
