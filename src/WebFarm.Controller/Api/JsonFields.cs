using System.Text.Json;
using WebFarm.Balancer.Admin;

namespace WebFarm.Controller.Api;

/// <summary>The typed reads of the controller's strict body readers: a wrong type is a 400 naming the field and what it got.</summary>
internal static class JsonFields
{
    public static string String(JsonProperty property)
        => property.Value.ValueKind == JsonValueKind.String
            ? property.Value.GetString()!
            : throw new AdminRequestException($"{property.Name}: expected a string, got {property.Value.GetRawText()}");

    /// <summary>A list of strings, each problem named by its index ("arguments[1]: expected a string").</summary>
    public static List<string> Strings(JsonProperty property)
    {
        if (property.Value.ValueKind != JsonValueKind.Array)
        {
            throw new AdminRequestException($"{property.Name}: expected a list of strings, got {property.Value.GetRawText()}");
        }

        var list = new List<string>();
        foreach (var item in property.Value.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new AdminRequestException($"{property.Name}[{list.Count}]: expected a string, got {item.GetRawText()}"));
        }

        return list;
    }
}
