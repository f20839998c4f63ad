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

    /// <summary>An object of string values, each problem named by its key ("environment.A: expected a string, got 3").</summary>
    /// <param name="property">The field.</param>
    /// <param name="expected">What the field holds, for the message when it is no object ("an object of names and string values").</param>
    public static Dictionary<string, string> StringMap(JsonProperty property, string expected)
    {
        if (property.Value.ValueKind != JsonValueKind.Object)
        {
            throw new AdminRequestException($"{property.Name}: expected {expected}, got {property.Value.GetRawText()}");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in property.Value.EnumerateObject())
        {
            map[item.Name] = item.Value.ValueKind == JsonValueKind.String
                ? item.Value.GetString()!
                : throw new AdminRequestException($"{property.Name}.{item.Name}: expected a string, got {item.Value.GetRawText()}");
        }

        return map;
    }
}
