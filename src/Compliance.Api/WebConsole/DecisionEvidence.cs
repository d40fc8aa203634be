using System.Globalization;
using System.Text.Json;

namespace Compliance.Api.WebConsole;

/// <summary>One reason of a recorded decision, flattened for display.</summary>
internal sealed record ReasonView(
    string Rule, string Policy, string Outcome, string Message, string? Classifier, string? ModelVersion, string? Kind,
    string? EntityType, string? EntityName, double? Score, string? FactState, string? FactDetail, EvidenceView? Evidence);

/// <summary>What a signal observed: a span of the prompt, or a frame with a face box and the reference it matched.</summary>
internal sealed record EvidenceView(
    string? MatchedText, int? Start, int? Length, string? Alias, string? MatchKind, Guid? ReferenceId, int? Distance, double? Similarity,
    string? Variant, int? FrameIndex, double? TimestampSeconds, IReadOnlyList<int>? FaceBox, double? SpoofScore, string? Detail);

/// <summary>A piece of the prompt: plain, or a span some signal matched.</summary>
internal sealed record PromptSegment(string Text, bool Matched);

/// <summary>
/// A decision as the log recorded it (its canonical JSON), read for the evidence page. Reading is defensive: a field an
/// older decision lacks is shown as absent, never guessed.
/// </summary>
internal sealed class DecisionEvidence
{
    /// <summary>Video frames are screened scaled to fit this square (docs/api.md); their face boxes are in those pixels.</summary>
    public const int VideoFrameSide = 1280;

    public required string Subject { get; init; }
    public required string Outcome { get; init; }
    public required string PolicyVersion { get; init; }
    public Guid TenantId { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public string? Prompt { get; init; }
    public string? Account { get; init; }
    public IReadOnlyList<string> Contexts { get; init; } = [];
    public string? MediaType { get; init; }
    public int? Width { get; init; }
    public int? Height { get; init; }
    public double? DurationSeconds { get; init; }
    public int? FramesScreened { get; init; }
    public IReadOnlyList<ReasonView> Reasons { get; init; } = [];

    /// <summary>The size of the picture a face box is drawn on: the image itself, or a video frame as it was screened.</summary>
    public (int Width, int Height) Canvas
    {
        get
        {
            var (w, h) = (Width ?? 0, Height ?? 0);
            if (w <= 0 || h <= 0)
            {
                var right = Reasons.Select(r => r.Evidence?.FaceBox).OfType<IReadOnlyList<int>>().Where(b => b.Count == 4).Select(b => (b[0] + b[2], b[1] + b[3])).ToList();
                return right.Count == 0 ? (640, 360) : (right.Max(r => r.Item1) + 20, right.Max(r => r.Item2) + 20);
            }

            if (Subject == "video" && Math.Max(w, h) > VideoFrameSide)
            {
                var scale = (double)VideoFrameSide / Math.Max(w, h);
                return ((int)Math.Round(w * scale), (int)Math.Round(h * scale));
            }

            return (w, h);
        }
    }

    /// <summary>The prompt cut into plain and matched pieces; overlapping matches are merged, offsets outside the prompt ignored.</summary>
    public IReadOnlyList<PromptSegment> PromptSegments()
    {
        if (Prompt is not { } prompt)
        {
            return [];
        }

        var spans = Reasons.Select(r => r.Evidence).OfType<EvidenceView>()
            .Where(e => e.Start is >= 0 && e.Length is > 0 && e.Start + e.Length <= prompt.Length)
            .Select(e => (Start: e.Start!.Value, End: e.Start!.Value + e.Length!.Value))
            .OrderBy(s => s.Start).ToList();
        var segments = new List<PromptSegment>();
        var at = 0;
        foreach (var (start, end) in spans)
        {
            if (end <= at)
            {
                continue;
            }

            var from = Math.Max(start, at);
            if (from > at)
            {
                segments.Add(new PromptSegment(prompt[at..from], false));
            }

            segments.Add(new PromptSegment(prompt[from..end], true));
            at = end;
        }

        if (at < prompt.Length)
        {
            segments.Add(new PromptSegment(prompt[at..], false));
        }

        return segments;
    }

    public static DecisionEvidence Read(JsonElement d)
    {
        var input = d.TryGetProperty("input", out var i) && i.ValueKind == JsonValueKind.Object ? i : default;
        var media = input.ValueKind == JsonValueKind.Object && input.TryGetProperty("media", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        return new DecisionEvidence
        {
            Subject = Str(d, "subject") ?? "",
            Outcome = Str(d, "outcome") ?? "",
            PolicyVersion = Str(d, "policyVersion") ?? "",
            TenantId = Guid.TryParse(Str(d, "tenantId"), out var t) ? t : Guid.Empty,
            CreatedAt = DateTimeOffset.TryParse(Str(d, "createdAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null,
            Prompt = Str(input, "prompt"),
            Account = Str(input, "account"),
            Contexts = input.ValueKind == JsonValueKind.Object && input.TryGetProperty("contexts", out var c) && c.ValueKind == JsonValueKind.Array
                ? [.. c.EnumerateArray().Select(x => x.GetString()).OfType<string>()]
                : [],
            MediaType = Str(media, "mediaType"),
            Width = Int(media, "width"),
            Height = Int(media, "height"),
            DurationSeconds = Num(media, "durationSeconds"),
            FramesScreened = Int(media, "framesScreened"),
            Reasons = d.TryGetProperty("reasons", out var rs) && rs.ValueKind == JsonValueKind.Array ? [.. rs.EnumerateArray().Select(ReadReason)] : [],
        };
    }

    private static ReasonView ReadReason(JsonElement r)
    {
        var signal = Obj(r, "signal");
        var entity = Obj(signal, "entity");
        var fact = Obj(r, "fact");
        var e = Obj(signal, "evidence");
        EvidenceView? evidence = e.ValueKind == JsonValueKind.Object
            ? new EvidenceView(
                Str(e, "matchedText"), Int(e, "start"), Int(e, "length"), Str(e, "alias"), Str(e, "matchKind"),
                Guid.TryParse(Str(e, "referenceId"), out var rid) ? rid : null, Int(e, "distance"), Num(e, "similarity"), Str(e, "variant"),
                Int(e, "frameIndex"), Num(e, "timestampSeconds"),
                e.TryGetProperty("faceBox", out var fb) && fb.ValueKind == JsonValueKind.Array ? [.. fb.EnumerateArray().Select(x => x.TryGetInt32(out var v) ? v : 0)] : null,
                Num(e, "spoofScore"), Str(e, "detail"))
            : null;
        return new ReasonView(
            Str(r, "rule") ?? "", Str(r, "policy") ?? "", Str(r, "outcome") ?? "", Str(r, "message") ?? "",
            Str(signal, "classifier"), Str(signal, "modelVersion"), Str(signal, "kind"), Str(entity, "type"), Str(entity, "name"),
            Num(signal, "score"), Str(fact, "state"), Str(fact, "detail"), evidence);
    }

    private static JsonElement Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : default;

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;

    private static double? Num(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
