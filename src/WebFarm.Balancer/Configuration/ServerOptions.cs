namespace WebFarm.Balancer.Configuration;

/// <summary>One server of a farm as configured (or added through the admin API).</summary>
public sealed record ServerOptions
{
    public required string Name { get; init; }

    /// <summary>Base address, e.g. "http://10.0.0.5:5000".</summary>
    public required string Address { get; init; }

    public int Weight { get; init; } = 1;

    public bool Backup { get; init; }

    /// <summary>Overrides the farm's MaxConcurrentRequestsPerServer; null = the farm's value.</summary>
    public int? MaxConcurrentRequests { get; init; }

    /// <summary>Overrides the farm's active health check; null = the farm's.</summary>
    public HealthCheckOptions? Health { get; init; }
}
