using System.Text.Json;
using System.Text.Json.Serialization;
using WebFarm.Balancer.Events;

namespace WebFarm.Balancer.Admin;

/// <summary>The admin API's JSON conventions: camelCase names, enums as camelCase strings, events in their one shape.</summary>
public static class AdminJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.Converters.Add(FarmEventJson.Instance);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
