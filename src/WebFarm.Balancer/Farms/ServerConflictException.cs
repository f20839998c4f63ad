namespace WebFarm.Balancer.Farms;

/// <summary>A server with that name already exists in the farm (the admin API answers 409).</summary>
public sealed class ServerConflictException(string farm, string server)
    : InvalidOperationException($"farm '{farm}' already has a server named '{server}'")
{
    public string Farm { get; } = farm;

    public string Server { get; } = server;
}
