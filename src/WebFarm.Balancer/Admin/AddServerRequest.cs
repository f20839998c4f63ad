using System.Text.Json.Serialization;

namespace WebFarm.Balancer.Admin;

/// <summary>The body of POST /api/farms/{farm}/servers as <see cref="AdminApiClient"/> sends it.</summary>
/// <param name="Healthy">False: the server enters out of rotation until its health check passes; null (not sent): healthy,
/// as every new server, and the body any balancer version accepts.</param>
public sealed record AddServerRequest(
    string Name,
    string Address,
    int Weight,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Healthy = null);
