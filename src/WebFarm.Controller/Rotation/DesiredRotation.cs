using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Controller.Rotation;

/// <summary>
/// What every balancer should have, read from the controller's own balancer runtime (where the rotation rules are
/// applied): per farm, each server with its address, operator state and weight; and the farms an external balancer
/// does not have in its file, which the controller creates there (each app's stage farm, like the app's farm, with the
/// stage's header and path routes). Immutable; read once per reconciliation.
/// </summary>
public sealed class DesiredRotation
{
    private DesiredRotation(IReadOnlyDictionary<string, IReadOnlyList<DesiredServer>> farms, IReadOnlyList<ControllerFarmOptions> controllerFarms)
    {
        Farms = farms;
        ControllerFarms = controllerFarms;
    }

    public IReadOnlyDictionary<string, IReadOnlyList<DesiredServer>> Farms { get; }

    /// <summary>The stage farms, each with its routes as the controller's runtime has them (<see cref="FarmRotation.ConfigFor"/>).</summary>
    public IReadOnlyList<ControllerFarmOptions> ControllerFarms { get; }

    public static DesiredRotation From(BalancerRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var farms = new Dictionary<string, IReadOnlyList<DesiredServer>>(StringComparer.Ordinal);
        foreach (var (name, farm) in runtime.Farms)
        {
            var servers = new List<DesiredServer>(farm.Servers.Count);
            foreach (var s in farm.Servers)
            {
                servers.Add(new DesiredServer(s.Name, s.Address.ToString(), s.State, s.Weight, s.Healthy));
            }

            farms[name] = servers;
        }

        var config = runtime.Config;
        var controllerFarms = new List<ControllerFarmOptions>();
        foreach (var (name, _) in config.Farms)
        {
            if (FarmRotation.AppOfStageFarm(name, config.Farms) is { } app)
            {
                var routes = new List<RouteOptions>();
                foreach (var route in config.Routes)
                {
                    if (route.Farm == name)
                    {
                        routes.Add(route);
                    }
                }

                controllerFarms.Add(new ControllerFarmOptions(name, app, routes));
            }
        }

        return new DesiredRotation(farms, controllerFarms);
    }
}
