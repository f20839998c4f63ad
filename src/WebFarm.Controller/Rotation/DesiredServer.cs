using WebFarm.Balancer.Farms;

namespace WebFarm.Controller.Rotation;

/// <summary>A server as the rotation rules want every balancer to have it.</summary>
/// <param name="Healthy">The controller's own verdict: a balancer that lacks the server adds it with it (an unhealthy one
/// out of rotation until that balancer's check passes); a balancer that has it judges its health itself.</param>
public sealed record DesiredServer(string Name, string Address, ServerState State, int Weight, bool Healthy = true)
{
    /// <summary>Whether <paramref name="address"/> (as a balancer reports it, perhaps with a trailing '/') is this server's.</summary>
    public bool IsAt(string address)
        => string.Equals(Address.TrimEnd('/'), address.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
