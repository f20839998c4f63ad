using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Health;

/// <summary>Builds a farm's passive-health observer from its options.</summary>
public static class PassiveHealthObserverFactory
{
    /// <summary>The observer, or null when <paramref name="options"/> is null (passive health off).</summary>
    /// <param name="hasActiveChecks">True when the farm's servers have active checks, which then bring servers back.</param>
    public static IPassiveHealthObserver? Create(string farm, PassiveHealthOptions? options, IHealthStateSink sink, bool hasActiveChecks, ILogger? logger = null)
        => Create(farm, options, sink, hasActiveChecks ? static _ => true : static _ => false, logger);

    /// <param name="hasActiveCheck">
    /// Per server (a server may have its own Health override while the farm has none): true when an active check brings it back.
    /// </param>
    public static IPassiveHealthObserver? Create(string farm, PassiveHealthOptions? options, IHealthStateSink sink, Func<ServerRuntime, bool> hasActiveCheck, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _ = farm;
        return options is null ? null : new PassiveHealthObserver(options, sink, hasActiveCheck, logger: logger);
    }
}
