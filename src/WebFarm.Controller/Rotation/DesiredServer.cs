using WebFarm.Balancer.Farms;

namespace WebFarm.Controller.Rotation;

/// <summary>A server as the rotation rules want every balancer to have it.</summary>
public sealed record DesiredServer(string Name, string Address, ServerState State, int Weight)
{
    /// <summary>Whether <paramref name="address"/> (as a balancer reports it, perhaps with a trailing '/') is this server's.</summary>
    public bool IsAt(string address)
        => string.Equals(Address.TrimEnd('/'), address.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
