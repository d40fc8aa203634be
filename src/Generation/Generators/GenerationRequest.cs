namespace Compliance.Generation.Generators;

/// <summary>
/// What to generate. Generators check the fields against their own limits and refuse what they cannot make with
/// <see cref="GenerationFailureKind.InvalidRequest"/> before doing any work.
/// </summary>
public sealed record GenerationRequest
{
    /// <summary>The prompt, as screened by the prompt gate.</summary>
    public required string Prompt { get; init; }

    /// <summary>Length of the video. The hosted contract accepts whole seconds from a short list (4, 8, 12).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Frame width in pixels.</summary>
    public int Width { get; init; } = 1280;

    /// <summary>Frame height in pixels.</summary>
    public int Height { get; init; } = 720;

    /// <summary>
    /// Seed of the local storyboard generator: the same request with the same seed gives the same file, byte for
    /// byte. Hosted providers in the OpenAI-style contract take no seed and ignore it.
    /// </summary>
    public long Seed { get; init; }

    /// <summary>
    /// Optional image that guides the video: sent as <c>input_reference</c> to a hosted provider; the local
    /// storyboard draws it, fitted to the frame height, over the first scene.
    /// </summary>
    public string? InputReferencePath { get; init; }

    /// <summary>
    /// Named assets (images, captions) the local storyboard places into given scenes or time ranges. Hosted
    /// providers cannot place assets and refuse a request that has any.
    /// </summary>
    public IReadOnlyList<StoryboardAsset> Assets { get; init; } = [];

    /// <summary>
    /// The name of an audio asset the local storyboard lays under its scenes from the start (cut at the video's end):
    /// a file in <see cref="LocalStoryboardOptions.AudioAssetFolder"/>, named without its extension. Hosted providers
    /// refuse it. <c>null</c>: a silent video (no audio track).
    /// </summary>
    public string? Soundtrack { get; init; }
}
