using System.Text.Json;

namespace WebFarm.Agent.Control;

/// <summary>The agent protocol's JSON conventions (camelCase, as the admin API), shared by agent and controller.</summary>
public static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
