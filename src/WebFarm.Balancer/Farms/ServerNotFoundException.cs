namespace WebFarm.Balancer.Farms;

/// <summary>An operation named a server that is not in the farm (the admin API answers 404).</summary>
public sealed class ServerNotFoundException(string farm, string server)
    : KeyNotFoundException($"no server named '{server}' in farm '{farm}'")
{
    public string Farm { get; } = farm;

    public string Server { get; } = server;
}
