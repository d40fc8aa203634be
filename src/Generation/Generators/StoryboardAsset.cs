namespace Compliance.Generation.Generators;

/// <summary>
/// Something the local storyboard places into the video: an image (a reference image, an enrolled face photo) or a
/// caption, shown during one scene (<see cref="Scene"/>) or a time range (<see cref="From"/> to <see cref="To"/>).
/// Exactly one of <see cref="ImagePath"/> and <see cref="Text"/>, and exactly one of a scene or a time range.
/// </summary>
public sealed record StoryboardAsset
{
    /// <summary>Name used in error messages, e.g. <c>ada-face</c>.</summary>
    public required string Name { get; init; }

    /// <summary>An image file (PNG, JPEG, WebP...), decoded with the same limits as uploads.</summary>
    public string? ImagePath { get; init; }

    /// <summary>A caption drawn as text.</summary>
    public string? Text { get; init; }

    /// <summary>Zero-based scene index during which the asset is shown.</summary>
    public int? Scene { get; init; }

    /// <summary>Start of the time range (inclusive) during which the asset is shown.</summary>
    public TimeSpan? From { get; init; }

    /// <summary>End of the time range (exclusive).</summary>
    public TimeSpan? To { get; init; }

    /// <summary>Horizontal centre of the asset as a fraction of the frame width, in [0, 1]. Default 0.5.</summary>
    public double CenterX { get; init; } = 0.5;

    /// <summary>Vertical centre as a fraction of the frame height, in [0, 1]. Default 0.5.</summary>
    public double CenterY { get; init; } = 0.5;

    /// <summary>
    /// Height as a fraction of the frame height, in (0, 1]: the image's height (its width follows its aspect ratio)
    /// or the caption's text size. Default 0.5.
    /// </summary>
    public double Height { get; init; } = 0.5;
}
