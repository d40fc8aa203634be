using System.Globalization;
using Compliance.Api.Screening;
using Compliance.Generation.Generators;
using Compliance.Generation.Pipeline;
using FluentValidation;
using Microsoft.Extensions.Options;
using Compliance.Generation.Gates;

namespace Compliance.Api.Generations;

/// <summary>A platform's request for a video.</summary>
/// <param name="Prompt">What to generate; screened by the prompt gate before anything is generated.</param>
/// <param name="Account">The platform's end-user account asking (consent of cameos and of people in the output is checked for it).</param>
/// <param name="Cameos">Likeness profiles asked to appear; each must have consented for this account.</param>
/// <param name="ReferenceImage">An optional guiding image, base64 (PNG, JPEG or WebP, at most 20 MiB decoded).</param>
/// <param name="DurationSeconds">Length of the video; default 4.</param>
/// <param name="Size">Frame size as <c>WIDTHxHEIGHT</c>, even numbers; default <c>1280x720</c>.</param>
/// <param name="CallbackUrl">Called (signed POST) on each terminal state of the job.</param>
/// <param name="Seed">Seed of the local generator (same request and seed, same video); default derived from the job id.</param>
/// <param name="Soundtrack">The name of an audio asset the local storyboard lays under the video (its frame gate screens
/// the soundtrack like any other); the local generator's assets only. Omitted: a silent video.</param>
internal sealed record CreateGenerationRequest(
    string? Prompt,
    string? Account,
    IReadOnlyList<Guid>? Cameos,
    string? ReferenceImage,
    int? DurationSeconds,
    string? Size,
    string? CallbackUrl,
    long? Seed,
    string? Soundtrack = null)
{
    public const string DefaultSize = "1280x720";
    public const int DefaultDurationSeconds = 4;
    public const int MaxCameos = 5;

    public (int Width, int Height) ParsedSize() => ParseSize(Size ?? DefaultSize) ?? (0, 0);

    internal static (int Width, int Height)? ParseSize(string size)
    {
        var parts = size.Split('x');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            ? (w, h)
            : null;
    }
}

internal sealed class CreateGenerationRequestValidator : AbstractValidator<CreateGenerationRequest>
{
    public CreateGenerationRequestValidator(IOptions<GenerationPipelineOptions> options, IEnumerable<IVideoGenerator> generators, IOptions<CallbackOptions> callbacks)
    {
        var o = options.Value;
        // The jobs' generator's own limits are the platform's too: what passes here must not fail later in the
        // generator, where the platform would learn of it only as a failed job.
        var generator = generators.FirstOrDefault(g => g.Name == o.DefaultGenerator);
        var maxPrompt = Math.Min(ScreenPromptRequestValidator.MaxPromptLength, (generator as LocalStoryboardGenerator)?.Options.MaxPromptLength ?? int.MaxValue);
        var allowedSeconds = (generator as HostedVideoGenerator)?.Options.AllowedSeconds;
        RuleFor(r => r.Prompt).NotEmpty().WithMessage("prompt is required.")
            .Must(p => p is null || !string.IsNullOrWhiteSpace(p)).WithMessage("prompt must not be blank.")
            .MaximumLength(maxPrompt)
            .WithMessage($"prompt must be at most {maxPrompt} characters.");
        RuleFor(r => r.Account).MaximumLength(200);
        RuleFor(r => r.Account).NotEmpty().When(r => r.Cameos is { Count: > 0 })
            .WithMessage("account is required when cameos are asked for: consent is given to accounts.");
        RuleFor(r => r.Cameos).Must(c => c is null || c.Count <= CreateGenerationRequest.MaxCameos)
            .WithMessage($"At most {CreateGenerationRequest.MaxCameos} cameos.")
            .Must(c => c is null || c.Distinct().Count() == c.Count).WithMessage("cameos must not repeat.");
        RuleFor(r => r.DurationSeconds).InclusiveBetween(1, o.MaxDurationSeconds)
            .WithMessage($"durationSeconds must be between 1 and {o.MaxDurationSeconds}.");
        if (allowedSeconds is not null)
        {
            RuleFor(r => r.DurationSeconds ?? CreateGenerationRequest.DefaultDurationSeconds).Must(allowedSeconds.Contains).OverridePropertyName("durationSeconds")
                .WithMessage($"durationSeconds must be one of {string.Join(", ", allowedSeconds)}: the video provider makes only these lengths.");
        }

        // The smallest side is the local storyboard's (H.264 in yuv420p needs even sides too).
        const int minSide = LocalStoryboardGenerator.MinSide;
        RuleFor(r => r.Size).Must(s => s is null || CreateGenerationRequest.ParseSize(s) is { } size
                && size.Width >= minSide && size.Height >= minSide && size.Width <= o.MaxWidth && size.Height <= o.MaxHeight
                && (long)size.Width * size.Height <= o.MaxPixels && size.Width % 2 == 0 && size.Height % 2 == 0)
            .WithMessage($"size must be WIDTHxHEIGHT with even numbers from {minSide} up to {o.MaxWidth}x{o.MaxHeight}, at most {o.MaxPixels} pixels.");
        RuleFor(r => r.CallbackUrl).MaximumLength(2000)
            .Must(u => u is null || (Uri.TryCreate(u, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && string.IsNullOrEmpty(uri.UserInfo)))
            .WithMessage("callbackUrl must be an absolute http(s) URL without credentials.");
        if (!callbacks.Value.AllowPrivateNetworks)
        {
            // Host names are checked again when a callback connects (CallbackAddresses); a literal is refused now.
            RuleFor(r => r.CallbackUrl).Must(u => u is null || !Uri.TryCreate(u, UriKind.Absolute, out var uri) || CallbackAddresses.IsAllowedLiteral(uri))
                .WithMessage("callbackUrl must not point at a loopback, private or link-local address.");
        }
        var soundtracks = (generator as LocalStoryboardGenerator)?.SoundtrackNames ?? [];
        RuleFor(r => r.Soundtrack).Must(s => s is null || soundtracks.Contains(s, StringComparer.Ordinal))
            .WithMessage(generator is LocalStoryboardGenerator
                ? $"soundtrack must name one of the generator's audio assets: {(soundtracks.Count > 0 ? string.Join(", ", soundtracks) : "none are configured (Generation:Local:AudioAssetFolder)")}."
                : "soundtrack is offered by the local storyboard generator only.");
        RuleFor(r => r.ReferenceImage).Must(b => b is null || (b.Length <= ((MediaTypes.MaxImageBytes + 2) / 3 * 4) + 4 && IsBase64(b)))
            .WithMessage($"referenceImage must be base64 of at most {MediaTypes.MaxImageBytes} bytes.");
    }

    private static bool IsBase64(string value)
    {
        var buffer = new byte[(value.Length / 4 * 3) + 3];
        return Convert.TryFromBase64String(value, buffer, out var written) && written > 0;
    }
}
