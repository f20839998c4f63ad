using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// The admin API's JSON conventions: camelCase names, enums as camelCase strings, events in their one shape. The types
/// come from source-generated metadata (<see cref="AdminJsonContext"/>), never from reflection, so the Native AOT build
/// writes the same JSON (docs/packaging.md).
/// </summary>
public static class AdminJson
{
    /// <summary>The balancer's admin types, for an API that serves them beside its own (the controller's).</summary>
    public static IJsonTypeInfoResolver Resolver => AdminJsonContext.Default;

    public static JsonSerializerOptions Options { get; } = Create(Resolver);

    /// <summary>
    /// The admin conventions over <paramref name="resolver"/>'s types; <paramref name="enums"/> are the converters
    /// (JsonStringEnumConverter&lt;T&gt; with camelCase names) of the enums those types add to the balancer's.
    /// </summary>
    public static JsonSerializerOptions Create(IJsonTypeInfoResolver resolver, params JsonConverter[] enums)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            TypeInfoResolver = resolver,
        };
        // One generic converter per enum the admin types hold: the non-generic JsonStringEnumConverter builds its
        // converters with MakeGenericType at run time, which Native AOT cannot do. AdminJsonTests checks that every
        // enum reachable from the admin types is listed here.
        options.Converters.Add(new JsonStringEnumConverter<ServerState>(JsonNamingPolicy.CamelCase));
        options.Converters.Add(FarmEventJson.Instance);
        foreach (var converter in enums)
        {
            options.Converters.Add(converter);
        }

        options.MakeReadOnly();
        return options;
    }

    /// <summary>The metadata of <typeparamref name="T"/> in <see cref="Options"/>.</summary>
    public static JsonTypeInfo<T> TypeInfo<T>() => TypeInfo<T>(Options);

    /// <summary>
    /// The metadata of <typeparamref name="T"/> in <paramref name="options"/>; NotSupportedException when its resolver
    /// does not know the type (a type missing from the source-generated context).
    /// </summary>
    public static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }
}
