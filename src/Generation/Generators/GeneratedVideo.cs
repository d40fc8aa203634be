namespace Compliance.Generation.Generators;

/// <summary>
/// A generated video on local disk. The caller owns <see cref="Path"/> and deletes it when done (after frame
/// screening, and after release has copied or hashed it).
/// </summary>
/// <param name="Path">Absolute path of the video file.</param>
/// <param name="MediaType">IANA media type of the file, e.g. <c>video/mp4</c>.</param>
/// <param name="Duration">Duration of the video stream (as encoded for the local generator, as probed for hosted ones).</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Generator">The generator's <see cref="IVideoGenerator.Name"/>.</param>
/// <param name="Model">The model that made it (the provider's model name, or the storyboard renderer's version).</param>
/// <param name="ProviderJobId">The provider's id for the job (hosted); <c>null</c> for local generation.</param>
public sealed record GeneratedVideo(
    string Path,
    string MediaType,
    TimeSpan Duration,
    int Width,
    int Height,
    string Generator,
    string Model,
    string? ProviderJobId);
