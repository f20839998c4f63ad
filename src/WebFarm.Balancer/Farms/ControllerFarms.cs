using System.Collections.Immutable;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// The farms a controller created at run time (<see cref="ControllerFarmOptions"/>), laid over the configuration
/// file's: the applied configuration is the file's farms and routes, then each controller farm (the options of its
/// <see cref="ControllerFarmOptions.Like"/> farm, no servers of the file) and its routes after the file's, so a tie in
/// the route table's order goes to the file. Immutable; the runtime swaps it under its change lock.
/// </summary>
internal sealed class ControllerFarms
{
    public static readonly ControllerFarms Empty = new(ImmutableDictionary.Create<string, ControllerFarmOptions>(StringComparer.Ordinal));

    private ControllerFarms(ImmutableDictionary<string, ControllerFarmOptions> farms) => Farms = farms;

    public ImmutableDictionary<string, ControllerFarmOptions> Farms { get; }

    public ControllerFarms With(ControllerFarmOptions farm) => new(Farms.SetItem(farm.Name, farm));

    public ControllerFarms Without(string name) => new(Farms.Remove(name));

    /// <summary>Every problem of <paramref name="farm"/> over <paramref name="file"/> and the other controller farms (empty: none).</summary>
    public List<ConfigError> Problems(BalancerConfig file, ControllerFarmOptions farm)
    {
        var errors = new List<ConfigError>();
        ConfigValidator.ValidateControllerFarm(file, Farms.Values, farm, (path, reason) => errors.Add(new ConfigError(null, path, reason)));
        return errors;
    }

    /// <summary>
    /// The controller farms still valid over a new file (<paramref name="dropped"/>: the others, each with why: the
    /// file now names the farm, lost its <c>like</c> farm, or has a route with the same matchers).
    /// </summary>
    public ControllerFarms KeptOver(BalancerConfig file, List<(string Farm, string Reason)> dropped)
    {
        var kept = this;
        foreach (var farm in Farms.Values)
        {
            var problems = kept.Problems(file, farm);
            if (problems.Count > 0)
            {
                kept = kept.Without(farm.Name);
                dropped.Add((farm.Name, problems[0].ToString()));
            }
        }

        return kept;
    }

    /// <summary>The configuration to apply: <paramref name="file"/> with these farms and their routes.</summary>
    public BalancerConfig Over(BalancerConfig file)
    {
        if (Farms.IsEmpty)
        {
            return file;
        }

        var farms = new Dictionary<string, FarmOptions>(file.Farms, StringComparer.Ordinal);
        var routes = new List<RouteOptions>(file.Routes);
        if (file.Routes.Count == 0)
        {
            // A file without routes sends everything to its farm (RouteTable); a controller route must not end that.
            foreach (var (name, options) in file.Farms)
            {
                if (options.Protocol == TrafficProtocol.Http)
                {
                    routes.Add(new RouteOptions { Farm = name });
                }
            }
        }

        foreach (var farm in Farms.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            farms[farm.Name] = file.Farms[farm.Like] with { Servers = [] };
            routes.AddRange(farm.Routes);
        }

        return file with { Farms = farms, Routes = routes };
    }
}
