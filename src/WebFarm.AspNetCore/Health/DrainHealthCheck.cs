using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using WebFarm.AspNetCore.Hosting;

namespace WebFarm.AspNetCore.Health;

/// <summary>
/// Unhealthy once shutdown has begun, so a balancer polling the health endpoint stops sending new requests
/// (it sees the 503 during <see cref="WebFarmOptions.DrainDelay"/>, see <see cref="DrainDelayService"/>).
/// </summary>
internal sealed class DrainHealthCheck(IHostApplicationLifetime lifetime, DrainDelayService drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested || drain.ShutdownBegan
            ? HealthCheckResult.Unhealthy("Draining: the server is shutting down and finishing in-flight requests.")
            : HealthCheckResult.Healthy("Accepting requests."));
}
