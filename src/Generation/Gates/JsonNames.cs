using System.Text.Json;
using System.Text.Json.Serialization;
using Compliance.Policies.Model;

namespace Compliance.Generation.Gates;

/// <summary>One JSON shape for the API and the decision log: camelCase members, snake_case enum values.</summary>
internal static class JsonNames
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        return options;
    }

    /// <summary>The outcome's name as the JSON writes it; the three known ones without converting (once per decision).</summary>
    public static string Outcome(Outcome outcome) => outcome switch
    {
        Policies.Model.Outcome.Allow => "allow",
        Policies.Model.Outcome.Review => "review",
        Policies.Model.Outcome.Block => "block",
        _ => JsonNamingPolicy.SnakeCaseLower.ConvertName(outcome.ToString()),
    };
}
