using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Admin;

/// <summary>A server as the admin API shows it.</summary>
public sealed record ServerInfo(
    string Name,
    string Address,
    ServerState State,
    bool Healthy,
    bool Available,
    int Weight,
    double EffectiveWeight,
    double LoadFactor,
    bool Backup,
    int InFlight,
    int? MaxConcurrentRequests,
    int Queued,
    bool AddedAtRuntime,
    Health.HealthProbeResult? LastCheck)
{
    internal static ServerInfo From(ServerRuntime s) => new(
        s.Name,
        s.Address.ToString(),
        s.State,
        s.Healthy,
        s.IsAvailable,
        s.Weight,
        Math.Round(s.EffectiveWeight, 3),
        Math.Round(s.LoadFactor, 3),
        s.Backup,
        s.InFlight,
        s.Gate?.Limit,
        s.Gate?.Queued ?? 0,
        s.AddedAtRuntime,
        s.LastHealthCheck);
}
