namespace WebFarm.Balancer.Farms;

/// <summary>An operation named a farm that does not exist (the admin API answers 404).</summary>
public sealed class FarmNotFoundException(string farm)
    : KeyNotFoundException($"no farm named '{farm}'")
{
    public string Farm { get; } = farm;
}
