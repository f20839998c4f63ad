using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace WebFarm.AspNetCore.Health;

/// <summary>
/// Unhealthy once shutdown has begun, so a balancer polling over a kept-alive connection stops sending
/// new requests while the host finishes the in-flight ones.
/// </summary>
internal sealed class DrainHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("Draining: the server is shutting down and finishing in-flight requests.")
            : HealthCheckResult.Healthy("Accepting requests."));
}
