using Microsoft.Extensions.Hosting;

namespace WebFarm.Balancer.Hosting;

/// <summary>
/// The balancer's Kestrel apps are components of a larger process (the CLI, <c>webfarm up</c>, the controller),
/// so they must not take over Ctrl+C / SIGTERM the way the default console lifetime does: the owner of the
/// process decides when to stop, and stops the host through <see cref="BalancerHost.StopAsync"/>.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
