namespace Compliance.Policies.Model;

/// <summary>
/// One observation by one classifier: "this input mentions character X with confidence 0.93".
/// Signals are the only way classifier output reaches the policy engine, so every field an auditor
/// needs to understand a decision (which model, which version, what was seen where) lives here.
/// </summary>
/// <param name="Classifier">Stable classifier name, e.g. <c>names-text</c>.</param>
/// <param name="ModelVersion">Version of the model and of the data it ran on (for text: matcher version and catalog hash).</param>
/// <param name="Kind">What was observed; see <see cref="SignalKinds"/>.</param>
/// <param name="Entity">The catalog entity the signal is about, if any.</param>
/// <param name="Score">Confidence in [0, 1].</param>
/// <param name="Evidence">Where and how it was seen.</param>
public sealed record Signal(
    string Classifier,
    string ModelVersion,
    string Kind,
    EntityRef? Entity,
    double Score,
    Evidence Evidence);

/// <summary>The signal kinds the shipped classifiers emit; policies match on these strings.</summary>
public static class SignalKinds
{
    public const string LicensedCharacter = "licensed_character";

    /// <summary>
    /// A licensed character described without its name (its rights holder's description or example prompts, by
    /// sentence-embedding similarity); the score is the calibrated probability, the evidence the closest window.
    /// </summary>
    public const string DescribedCharacter = "described_character";

    /// <summary>
    /// A rights holder's reference recording heard in a video's soundtrack (Chromaprint fingerprints, AcoustID-style
    /// alignment). The score is 1 − 2 × bit error rate over the matched span; the evidence gives that span in the video
    /// (<see cref="Evidence.TimestampSeconds"/> to <see cref="Evidence.EndSeconds"/>) and in the reference.
    /// </summary>
    public const string LicensedRecording = "licensed_recording";

    /// <summary>A registered person's name, handle or face.</summary>
    public const string Likeness = "likeness";

    /// <summary>A name or face on the admin-maintained list of public figures.</summary>
    public const string PublicFigure = "public_figure";

    /// <summary>A face that matched nobody enrolled: recorded with its box and spoof score so every face is explained.</summary>
    public const string FaceDetected = "face_detected";

    /// <summary>A classifier failed or ran out of time; policies must never turn this into <c>allow</c>.</summary>
    public const string ClassifierError = "classifier_error";

    /// <summary>
    /// Part of a video went unscreened (frame cap, decoder error, time budget, a classifier failing on a frame); the
    /// evidence names each span and why, the score is the share left unscreened. Policies must never turn this into
    /// <c>allow</c>.
    /// </summary>
    public const string CoverageIncomplete = "coverage_incomplete";

    /// <summary>Kinds that mean "this input was not fully screened": no policy rule may allow them (fail closed).</summary>
    public static readonly IReadOnlySet<string> FailClosed = new HashSet<string>(StringComparer.Ordinal) { ClassifierError, CoverageIncomplete };

    /// <summary>A hosted generator's provider refused a generation on its own safety grounds.</summary>
    public const string ProviderRefusal = "provider_refusal";
}

/// <summary>A reference to a catalog entity: a character, a recording, a person or a public figure.</summary>
/// <param name="Type">Entity type, e.g. <c>character</c> or <c>recording</c>.</param>
/// <param name="Id">Entity id.</param>
/// <param name="Name">Canonical name at the time of the decision.</param>
/// <param name="OwnerId">The rights holder (or person) who controls the entity.</param>
public sealed record EntityRef(string Type, Guid Id, string Name, Guid? OwnerId);

/// <summary>
/// Where and how a signal was observed. For text, offsets are UTF-16 code-unit offsets into the
/// original input, so <c>input.Substring(Start, Length) == MatchedText</c>. For images, the matched
/// reference, the PDQ Hamming distance and/or embedding cosine similarity, the dihedral variant that
/// matched, and for video the frame index and timestamp. For a soundtrack, the matched span in the video
/// (<see cref="TimestampSeconds"/> to <see cref="EndSeconds"/>) and in the reference recording, and the bit error rate.
/// A reference found by local features (a copy filling only
/// part of the picture) carries <c>Box</c>, where it lies as [x, y, width, height] in the screened image's pixels,
/// and <c>Inliers</c>, how many keypoint pairs agree on that placement.
/// </summary>
public sealed record Evidence(
    string? MatchedText = null,
    int? Start = null,
    int? Length = null,
    string? Alias = null,
    string? MatchKind = null,
    int? EditDistance = null,
    string? Detail = null,
    Guid? ReferenceId = null,
    int? Distance = null,
    double? Similarity = null,
    string? Variant = null,
    int? FrameIndex = null,
    double? TimestampSeconds = null,
    IReadOnlyList<int>? FaceBox = null,
    double? SpoofScore = null,
    double? DeepfakeScore = null,
    double? EndSeconds = null,
    double? ReferenceStartSeconds = null,
    double? ReferenceEndSeconds = null,
    double? BitErrorRate = null,
    IReadOnlyList<int>? Box = null,
    int? Inliers = null);
