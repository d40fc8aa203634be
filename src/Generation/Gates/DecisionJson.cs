using System.Text.Json;
using System.Text.Json.Serialization;
using Compliance.Generation.Frames;
using Compliance.Generation.Soundtrack;
using Compliance.Policies.Model;

namespace Compliance.Generation.Gates;

/// <summary>
/// The decision log's JSON for a decision, from source-generated metadata (ADR-044): the same shape as
/// <see cref="JsonNames.Options"/> (web defaults, nulls left out, enums as snake_case strings), declared at compile time
/// so the serializer's generated writer can be used. DecisionJsonTests pins its bytes against <see cref="JsonNames.Options"/>.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(SnakeCase<Outcome>), typeof(SnakeCase<GrantState>), typeof(SnakeCase<UnscreenedReason>), typeof(SnakeCase<SoundtrackStatus>)])]
[JsonSerializable(typeof(DecisionView))]
internal sealed partial class DecisionJson : JsonSerializerContext;

/// <summary>An enum of the decision as a snake_case string, as <see cref="JsonNames"/> writes it; a type the source generator can name.</summary>
internal sealed class SnakeCase<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower)
    where TEnum : struct, Enum;
