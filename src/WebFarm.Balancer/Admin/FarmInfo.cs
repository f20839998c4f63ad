using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Admin;

/// <summary>A farm as the admin API shows it.</summary>
public sealed record FarmInfo(
    string Name,
    string LoadBalancing,
    string HttpVersion,
    bool PreserveHost,
    bool InPanic,
    int MinimumHealthyServers,
    string Affinity,
    bool HealthChecks,
    bool PassiveHealth,
    IReadOnlyList<ServerInfo> Servers)
{
    internal static FarmInfo From(FarmRuntime farm)
    {
        var options = farm.Options;
        var servers = new List<ServerInfo>();
        foreach (var s in farm.Servers)
        {
            servers.Add(ServerInfo.From(s));
        }

        return new FarmInfo(
            farm.Name,
            options.LoadBalancing.ToString(),
            options.HttpVersion,
            options.PreserveHost,
            farm.InPanic,
            options.MinimumHealthyServers,
            options.Affinity.Mode.ToString(),
            options.Health is not null,
            options.PassiveHealth is not null,
            servers);
    }
}
