using FluentValidation;

namespace Compliance.Api.Recordings;

/// <summary>A recording as its rights holder registers it: a work in the same catalog as characters.</summary>
/// <param name="Title">The recording's title.</param>
/// <param name="Artist">The performing artist, optional.</param>
/// <param name="Isrc">The International Standard Recording Code, optional: <c>CC-XXX-YY-NNNNN</c>, hyphens optional.</param>
internal sealed record RecordingRequest(string? Title, string? Artist, string? Isrc)
{
    /// <summary>The ISRC as stored: upper case, without hyphens or spaces.</summary>
    public string? NormalizedIsrc => Isrc is null ? null : Recording.NormalizeIsrc(Isrc);
}

internal sealed record Recording
{
    public Guid Id { get; init; }
    public Guid RightsHolderId { get; init; }
    public string Title { get; init; } = "";
    public string? Artist { get; init; }
    public string? Isrc { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public static string NormalizeIsrc(string isrc) => new([.. isrc.Where(c => c is not ('-' or ' ')).Select(char.ToUpperInvariant)]);

    /// <summary>ISO 3901: two letters (country), three letters or digits (registrant), two digits (year), five digits (designation).</summary>
    public static bool IsIsrc(string normalized) =>
        normalized.Length == 12
        && char.IsAsciiLetterUpper(normalized[0]) && char.IsAsciiLetterUpper(normalized[1])
        && normalized[2..5].All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c))
        && normalized[5..].All(char.IsAsciiDigit);
}

/// <summary>A reference fingerprint of a recording: what was kept of the uploaded audio (never the audio itself).</summary>
internal sealed record RecordingReferenceView
{
    public Guid Id { get; init; }
    public Guid RecordingId { get; init; }
    public string FingerprintSha256 { get; init; } = "";
    public double DurationSeconds { get; init; }
    public int SubFingerprints { get; init; }
    public string? FileName { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed class RecordingRequestValidator : AbstractValidator<RecordingRequest>
{
    public RecordingRequestValidator()
    {
        RuleFor(r => r.Title).NotEmpty().MaximumLength(200)
            .Must(t => t is null || t.Trim().Length > 0).WithMessage("title must not be blank.");
        RuleFor(r => r.Artist).MaximumLength(200)
            .Must(a => a is null || a.Trim().Length > 0).WithMessage("artist must not be blank when given.");
        RuleFor(r => r.Isrc).Must(i => i is null || (i.Length <= 20 && Recording.IsIsrc(Recording.NormalizeIsrc(i))))
            .WithMessage("isrc must be an ISRC (ISO 3901) such as \"GB-AYE-05-00012\" or \"GBAYE0500012\": country, registrant, year, designation.");
    }
}
