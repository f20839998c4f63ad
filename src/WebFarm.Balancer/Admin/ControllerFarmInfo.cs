using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Admin;

/// <summary>A controller farm as the admin API shows it (GET /api/controller/farms) and takes it (PUT).</summary>
public sealed record ControllerFarmInfo(string Name, string Like, IReadOnlyList<ControllerRouteInfo> Routes)
{
    internal static ControllerFarmInfo From(ControllerFarmOptions farm)
    {
        var routes = new List<ControllerRouteInfo>(farm.Routes.Count);
        foreach (var r in farm.Routes)
        {
            routes.Add(new ControllerRouteInfo(r.Host, r.Path, r.Headers, r.StripPrefix));
        }

        return new ControllerFarmInfo(farm.Name, farm.Like, routes);
    }

    /// <summary>The options this describes (what a client compares with what it wants).</summary>
    public ControllerFarmOptions ToOptions()
    {
        var routes = new List<RouteOptions>(Routes.Count);
        foreach (var r in Routes)
        {
            routes.Add(new RouteOptions { Host = r.Host, Path = r.Path, Headers = r.Headers, StripPrefix = r.StripPrefix, Farm = Name });
        }

        return new ControllerFarmOptions(Name, Like, routes);
    }
}
