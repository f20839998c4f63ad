using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebFarm.Commands;

/// <summary>
/// The JSON the command line sends to the admin and controller APIs, generated at compile time (System.Text.Json source
/// generation) so the Native AOT build sends the same bodies (docs/packaging.md). A body is a dictionary of field names
/// to values; every value type a command puts in one is listed here (a missing one fails in every build, with its name).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<JsonElement>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
internal sealed partial class ApiRequestJson : JsonSerializerContext
{
    /// <summary>The body of a request: <paramref name="body"/> as JSON.</summary>
    public static JsonContent Content(object body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var info = Default.GetTypeInfo(body.GetType())
            ?? throw new NotSupportedException($"{body.GetType()} is not in ApiRequestJson: a request body must be a Dictionary<string, object?> of the listed value types");
        return JsonContent.Create(body, info);
    }
}
