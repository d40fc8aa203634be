namespace Compliance.Generation.Frames;

/// <summary>Why a frame was taken. A frame on the fixed schedule that is also a cut carries both flags, once.</summary>
[Flags]
public enum FrameReason
{
    /// <summary>The first frame at or after each multiple of the schedule's interval (1/<see cref="FrameSamplerOptions.FramesPerSecond"/>, widened for long videos).</summary>
    Interval = 1,

    /// <summary>
    /// Its ffmpeg scene score exceeded <see cref="FrameSamplerOptions.SceneChangeThreshold"/> (taken within
    /// <see cref="FrameSamplerOptions.MaxSceneChangeFrames"/> when it is not also on the fixed schedule).
    /// </summary>
    SceneChange = 2,
}

/// <summary>What ffprobe says about the video stream that was sampled.</summary>
/// <param name="Duration">
/// Declared duration of the video stream (the container's when the stream declares none); <see cref="TimeSpan.Zero"/>
/// when neither declares one.
/// </param>
/// <param name="Width">Coded width of the source, before rotation and downscaling.</param>
/// <param name="Height">Coded height of the source, before rotation and downscaling.</param>
/// <param name="Codec">ffmpeg codec name, e.g. <c>h264</c>.</param>
/// <param name="FramesPerSecond">Average frame rate; 0 when unknown.</param>
/// <param name="FormatName">ffmpeg demuxer name, e.g. <c>mov,mp4,m4a,3gp,3g2,mj2</c>.</param>
/// <param name="Rotation">Display rotation in degrees; ffmpeg applies it before frames are returned.</param>
/// <param name="Container">The accepted container the file's bytes were recognised as, and the demuxer forced for it.</param>
public sealed record VideoMetadata(
    TimeSpan Duration,
    int Width,
    int Height,
    string Codec,
    double FramesPerSecond,
    string FormatName,
    int Rotation,
    VideoContainer Container);

/// <summary>
/// One sampled frame as packed RGB24: <see cref="Height"/> rows of <see cref="Stride"/> bytes, 3 bytes per pixel
/// (R, G, B), no padding, top row first.
/// </summary>
/// <param name="Index">Position among the frames returned for this video, from 0.</param>
/// <param name="TimestampSeconds">Presentation time of the frame in the source, in seconds.</param>
/// <param name="SceneScore">ffmpeg's scene score for the frame (0..1); <c>null</c> when scene detection is off.</param>
public sealed record SampledFrame(
    int Index,
    double TimestampSeconds,
    FrameReason Reason,
    double? SceneScore,
    int Width,
    int Height,
    ReadOnlyMemory<byte> Rgb24)
{
    /// <summary>Bytes per row: always <c>Width * 3</c>.</summary>
    public int Stride => Width * 3;
}

/// <summary>The outcome of sampling one video.</summary>
/// <param name="FrameCount">Frames handed over (the same as <see cref="VideoCoverage.FramesScreened"/>).</param>
/// <param name="Coverage">How much of the video those frames stand for, and which spans went unscreened and why.</param>
public sealed record SamplingSummary(VideoMetadata Metadata, int FrameCount, VideoCoverage Coverage);

/// <summary>A sampled video with every frame held in memory.</summary>
/// <param name="Coverage">How much of the video the frames stand for, and which spans went unscreened and why.</param>
public sealed record SampledVideo(VideoMetadata Metadata, IReadOnlyList<SampledFrame> Frames, VideoCoverage Coverage);
