namespace WebFarm.Balancer.Configuration;

/// <summary>
/// The rules for a farm a controller creates at run time (<see cref="ControllerFarmOptions"/>, PUT
/// /api/controller/farms/NAME): it never replaces or changes what the configuration file says, and its routes take
/// only the requests that carry their header or start with their path, never a whole host.
/// </summary>
internal static partial class ConfigValidator
{
    /// <summary>
    /// Reports every problem of <paramref name="farm"/> against <paramref name="file"/> (the configuration file's
    /// farms and routes) and <paramref name="others"/> (the other controller farms), each with its field as
    /// <c>$.like</c> or <c>$.routes[0].Path</c>.
    /// </summary>
    public static void ValidateControllerFarm(BalancerConfig file, IEnumerable<ControllerFarmOptions> others, ControllerFarmOptions farm, Action<string, string> error)
    {
        if (!IsValidName(farm.Name))
        {
            error("$.name", $"'{farm.Name}' is not a farm name (letters, digits, '-', '_', '.'; at most 64 characters)");
        }

        if (file.Farms.ContainsKey(farm.Name))
        {
            error("$.name", $"farm '{farm.Name}' comes from the configuration file: a controller cannot replace it");
        }

        if (!file.Farms.TryGetValue(farm.Like, out var like))
        {
            error("$.like", $"the configuration file has no farm '{farm.Like}' to take the options of");
        }
        else if (like.Protocol == TrafficProtocol.Tcp)
        {
            error("$.like", $"farm '{farm.Like}' is a TCP farm: a controller farm takes HTTP requests from routes");
        }

        if (farm.Routes.Count is 0 or > ControllerFarmOptions.MaxRoutes)
        {
            error("$.routes", $"has {farm.Routes.Count} routes: give 1 to {ControllerFarmOptions.MaxRoutes} (a farm no route reaches serves nothing)");
        }

        var taken = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < file.Routes.Count; i++)
        {
            taken.TryAdd(RouteKey(file.Routes[i]), $"the configuration file's route $.Routes[{i}] (farm '{file.Routes[i].Farm}')");
        }

        foreach (var other in others)
        {
            if (other.Name != farm.Name)
            {
                foreach (var route in other.Routes)
                {
                    taken.TryAdd(RouteKey(route), $"a route of controller farm '{other.Name}'");
                }
            }
        }

        for (var i = 0; i < farm.Routes.Count; i++)
        {
            var route = farm.Routes[i];
            var path = $"$.routes[{i}]";
            ValidateRouteMatchers(route, path, error);
            var hasPath = route.Path is not null && route.Path.TrimEnd('/').Length > 0;
            var headers = route.Headers?.Count ?? 0;
            if (headers == 0 && !hasPath)
            {
                error(path, "has neither Headers nor a Path: a controller route takes only the requests that carry its header or start with its path, never every request of a host from the configuration file's routes");
            }

            if (!taken.TryAdd(RouteKey(route), $"this farm's route {path}"))
            {
                error(path, $"has the same Host, Path and Headers as {taken[RouteKey(route)]}: it would take every request of that route");
            }
        }
    }
}
