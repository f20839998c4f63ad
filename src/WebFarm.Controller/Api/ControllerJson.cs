using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Admin;

namespace WebFarm.Controller.Api;

/// <summary>
/// The controller API's JSON: the admin conventions (<see cref="AdminJson"/>) over the balancer's source-generated admin
/// types and, for the controller's own types, reflection. The controller's types have no source-generated context yet,
/// so this is the one place the Native AOT publish still warns about (IL2026/IL3050) for the controller's API: the
/// Native AOT build is not shipped until it does not (docs/packaging.md).
/// </summary>
internal static class ControllerJson
{
    public static JsonSerializerOptions Options { get; } = AdminJson.Create(
        JsonTypeInfoResolver.Combine(AdminJson.Resolver, new DefaultJsonTypeInfoResolver()));

    /// <summary>Writes <paramref name="value"/> as the controller API's JSON answer.</summary>
    public static Task Write<T>(HttpContext context, T value) => AdminHttp.WriteJson(context, value, Options);
}
