using System.Net;

namespace WebFarm.Balancer.Admin;

/// <summary>A balancer's admin API refused a call: its status and its error text.</summary>
public sealed class AdminApiException(HttpStatusCode status, string call, string error)
    : Exception($"{(int)status} on {call}: {error}")
{
    public HttpStatusCode Status { get; } = status;

    public string Error { get; } = error;

    /// <summary>The bearer token was missing or refused (401/403).</summary>
    public bool IsTokenRefused => Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
}
