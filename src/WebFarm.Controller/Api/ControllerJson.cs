using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using WebFarm.Agent.Control;
using WebFarm.Agent.Readiness;
using WebFarm.Agent.Supervision;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Store;

namespace WebFarm.Controller.Api;

/// <summary>
/// The controller's JSON: its API answers (the admin conventions, <see cref="AdminJson"/>) and what it stores and sends
/// (the agent protocol's, <see cref="ProtocolJson"/>), over the balancer's and the agent protocol's generated metadata and
/// the controller's own (<see cref="ControllerJsonContext"/>): no reflection, so the Native AOT build runs the controller.
/// </summary>
internal static class ControllerJson
{
    /// <summary>The API's answers.</summary>
    public static JsonSerializerOptions Options { get; } = AdminJson.Create(
        JsonTypeInfoResolver.Combine(AdminJson.Resolver, ControllerJsonContext.Default),
        new JsonStringEnumConverter<AgentState>(JsonNamingPolicy.CamelCase),
        new JsonStringEnumConverter<SubjectKind>(JsonNamingPolicy.CamelCase),
        new JsonStringEnumConverter<JoinOutcome>(JsonNamingPolicy.CamelCase),
        new JsonStringEnumConverter<InstanceState>(JsonNamingPolicy.CamelCase),
        new JsonStringEnumConverter<ReadinessOutcome>(JsonNamingPolicy.CamelCase));

    /// <summary>The stored records and the protocol's messages (camelCase, enums as numbers).</summary>
    public static JsonSerializerOptions Protocol { get; } = ProtocolJson.Create(JsonTypeInfoResolver.Combine(ProtocolJson.Resolver, ControllerJsonContext.Default));

    /// <summary>Writes <paramref name="value"/> as the controller API's JSON answer.</summary>
    public static Task Write<T>(HttpContext context, T value) => AdminHttp.WriteJson(context, value, Options);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, AdminJson.TypeInfo<T>(Protocol));

    public static byte[] SerializeToUtf8Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, AdminJson.TypeInfo<T>(Protocol));

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize(json, AdminJson.TypeInfo<T>(Protocol));

    public static T? Deserialize<T>(JsonElement json) => json.Deserialize(AdminJson.TypeInfo<T>(Protocol));
}
