using System.Text.Json;
using System.Text.Json.Serialization;

namespace Compliance.Generation.Generators;

/// <summary>
/// The parts of the OpenAI-style video job object the generator reads (<c>POST /videos</c> and
/// <c>GET /videos/{id}</c> answer with it). Unknown fields are ignored; missing ones are null.
/// </summary>
internal sealed record VideoJob(string? Id, string? Status, double? Progress, VideoApiError? Error);

/// <summary>An error as the contract shapes it, both inside a failed job and in an error answer's envelope.</summary>
internal sealed record VideoApiError(string? Code, string? Message, string? Type);

internal sealed record VideoApiErrorEnvelope(VideoApiError? Error);

internal static class VideoJobStatus
{
    public const string Queued = "queued";
    public const string InProgress = "in_progress";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(VideoJob))]
[JsonSerializable(typeof(VideoApiErrorEnvelope))]
internal sealed partial class VideoApiJson : JsonSerializerContext;
