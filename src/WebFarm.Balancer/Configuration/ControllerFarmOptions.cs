namespace WebFarm.Balancer.Configuration;

/// <summary>
/// A farm a controller created on this balancer at run time (a staged release's farm, <c>APP.stage</c>), with the
/// routes that alone reach it. It takes its options (health check, load balancing, timeouts...) from a farm of the
/// configuration file (<see cref="Like"/>, the app's farm) and starts without servers: the controller adds them through
/// the server endpoints. Never written to a file and never persisted: the controller puts it back on every round of its
/// reconciliation, so a restarted balancer serves its file's configuration until the controller is there to stage.
/// </summary>
/// <param name="Name">The farm's name; no farm of the configuration file has it.</param>
/// <param name="Like">The configuration file's farm whose options it takes.</param>
/// <param name="Routes">Its routes (each with a header condition or a path prefix; <see cref="RouteOptions.Farm"/> is <paramref name="Name"/>).</param>
public sealed record ControllerFarmOptions(string Name, string Like, IReadOnlyList<RouteOptions> Routes)
{
    /// <summary>The most routes one controller farm may have (a stage has two per host of its app).</summary>
    public const int MaxRoutes = 64;

    /// <summary>Whether <paramref name="other"/> is the same farm with the same routes (host, path and headers compared as the route table does, strip prefix, in order).</summary>
    public bool SameAs(ControllerFarmOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Name != other.Name || Like != other.Like || Routes.Count != other.Routes.Count)
        {
            return false;
        }

        for (var i = 0; i < Routes.Count; i++)
        {
            if (ConfigValidator.RouteKey(Routes[i]) != ConfigValidator.RouteKey(other.Routes[i]) || Routes[i].StripPrefix != other.Routes[i].StripPrefix)
            {
                return false;
            }
        }

        return true;
    }
}
