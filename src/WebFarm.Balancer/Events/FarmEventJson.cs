using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebFarm.Balancer.Events;

/// <summary>
/// The one JSON shape of an event, used by the admin API (GET /api/events, the SSE stream), the CLI and the
/// dashboard: {"sequence":12,"time":"2026-01-02T03:04:05.678Z","farm":"web","server":"web1",
/// "kind":"finished-draining","message":"..."}. Time is ISO-8601 in UTC with milliseconds; farm and server
/// are null for balancer-wide events.
/// </summary>
public sealed class FarmEventJson : JsonConverter<FarmEvent>
{
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>A shared instance, e.g. for JsonSerializerOptions.Converters.</summary>
    public static FarmEventJson Instance { get; } = new();

    /// <summary>Serializes one event as a compact JSON object (an SSE "data:" line).</summary>
    public static string Serialize(FarmEvent e)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, e);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static string FormatTime(DateTimeOffset time)
        => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static void Write(Utf8JsonWriter writer, FarmEvent e)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(e);
        writer.WriteStartObject();
        writer.WriteNumber("sequence", e.Sequence);
        writer.WriteString("time", FormatTime(e.Time));
        writer.WriteString("farm", e.Farm);
        writer.WriteString("server", e.Server);
        writer.WriteString("kind", EventKindNames.ToKebabCase(e.Kind));
        writer.WriteString("message", e.Message);
        writer.WriteEndObject();
    }

    public override void Write(Utf8JsonWriter writer, FarmEvent value, JsonSerializerOptions options) => Write(writer, value);

    public override FarmEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An event must be a JSON object.");
        }

        long sequence = 0;
        DateTimeOffset time = default;
        string? farm = null, server = null, message = null;
        EventKind? kind = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var property = reader.GetString();
            reader.Read();
            switch (property)
            {
                case "sequence":
                    sequence = reader.GetInt64();
                    break;
                case "time":
                    time = DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                    break;
                case "farm":
                    farm = reader.GetString();
                    break;
                case "server":
                    server = reader.GetString();
                    break;
                case "kind":
                    var name = reader.GetString();
                    kind = EventKindNames.TryParse(name, out var parsed)
                        ? parsed
                        : throw new JsonException($"Unknown event kind \"{name}\".");
                    break;
                case "message":
                    message = reader.GetString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new FarmEvent(
            sequence,
            time,
            farm,
            server,
            kind ?? throw new JsonException("An event needs a \"kind\"."),
            message ?? string.Empty);
    }
}
