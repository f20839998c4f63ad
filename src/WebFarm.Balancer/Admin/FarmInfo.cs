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
    IReadOnlyList<ServerInfo> Servers,
    string Origin)
{
    /// <summary>A farm of the configuration file (or of the host's in-memory configuration).</summary>
    public const string ConfigOrigin = "config";

    /// <summary>A farm a controller created at run time (PUT /api/controller/farms/NAME).</summary>
    public const string ControllerOrigin = "controller";

    internal static FarmInfo From(FarmRuntime farm, bool byController)
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
            servers,
            byController ? ControllerOrigin : ConfigOrigin);
    }
}
