using System.Text.Json;
using System.Text.Json.Serialization;

namespace Compliance.Api.Infrastructure;

/// <summary>
/// Reads a date-time with any offset (<c>2030-01-01T12:00:00+02:00</c>) as the same instant in UTC. Npgsql writes only
/// UTC offsets to <c>timestamptz</c> and throws on any other, which used to turn a valid request into a 500; here every
/// date-time in every JSON body is UTC before a handler sees it. Written as System.Text.Json writes it.
/// </summary>
internal sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset().ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value);
    }
}
