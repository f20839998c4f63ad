using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace WebFarm.Agent.Control;

/// <summary>
/// The agent protocol's JSON conventions (camelCase, as the admin API), shared by agent and controller, over
/// source-generated metadata (<see cref="ProtocolJsonContext"/>): no reflection, so the Native AOT build speaks it too.
/// </summary>
public static class ProtocolJson
{
    /// <summary>The protocol's types, for a party that adds its own (the controller).</summary>
    public static IJsonTypeInfoResolver Resolver => ProtocolJsonContext.Default;

    public static JsonSerializerOptions Options { get; } = Create(Resolver);

    /// <summary>The protocol conventions over <paramref name="resolver"/>'s types.</summary>
    public static JsonSerializerOptions Create(IJsonTypeInfoResolver resolver)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = resolver };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>The metadata of <typeparamref name="T"/> in <see cref="Options"/>.</summary>
    public static JsonTypeInfo<T> TypeInfo<T>() => WebFarm.Balancer.Admin.AdminJson.TypeInfo<T>(Options);
}
