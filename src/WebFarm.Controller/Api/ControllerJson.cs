using System.Diagnostics.CodeAnalysis;
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
/// (the agent protocol's, <see cref="ProtocolJson"/>). The balancer's and the agent protocol's types come from
/// source-generated metadata; the controller's own types (and the API's anonymous answers) do not have a generated
/// context yet, so they fall back to reflection here: the reason the Native AOT build does not run the controller role
/// (docs/packaging.md). Giving them a context removes <see cref="CreateReflectionResolver"/> and that limit.
/// </summary>
internal static class ControllerJson
{
    private static readonly IJsonTypeInfoResolver Reflection = CreateReflectionResolver();

    /// <summary>The API's answers.</summary>
    public static JsonSerializerOptions Options { get; } = AdminJson.Create(
        JsonTypeInfoResolver.Combine(AdminJson.Resolver, Reflection),
        new JsonStringEnumConverter<AgentState>(JsonNamingPolicy.CamelCase),
        new JsonStringEnumConverter<SubjectKind>(JsonNamingPolicy.CamelCase),
        new JsonStringEnumConverter<JoinOutcome>(JsonNamingPolicy.CamelCase),
        new JsonStringEnumConverter<InstanceState>(JsonNamingPolicy.CamelCase),
        new JsonStringEnumConverter<ReadinessOutcome>(JsonNamingPolicy.CamelCase));

    /// <summary>The stored records and the protocol's messages (camelCase, enums as numbers).</summary>
    public static JsonSerializerOptions Protocol { get; } = ProtocolJson.Create(JsonTypeInfoResolver.Combine(ProtocolJson.Resolver, Reflection));

    /// <summary>Writes <paramref name="value"/> as the controller API's JSON answer.</summary>
    public static Task Write<T>(HttpContext context, T value) => AdminHttp.WriteJson(context, value, Options);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, AdminJson.TypeInfo<T>(Protocol));

    public static byte[] SerializeToUtf8Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, AdminJson.TypeInfo<T>(Protocol));

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize(json, AdminJson.TypeInfo<T>(Protocol));

    public static T? Deserialize<T>(JsonElement json) => json.Deserialize(AdminJson.TypeInfo<T>(Protocol));

    /// <summary>
    /// Reflection metadata for the controller's own types. Only the controller role serializes them, and in the Native
    /// AOT build that role refuses to start (NativeAotRoles in WebFarm), so this resolver never runs there; were it
    /// reached, System.Text.Json's reflection switch (off in Native AOT) makes it throw, it does not misbehave.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Controller role only; refused in the Native AOT build (see summary).")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Controller role only; refused in the Native AOT build (see summary).")]
    private static DefaultJsonTypeInfoResolver CreateReflectionResolver() => new();
}
