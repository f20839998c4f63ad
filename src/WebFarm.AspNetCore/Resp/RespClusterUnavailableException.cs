namespace WebFarm.AspNetCore.Resp;

/// <summary>
/// Some hash slots of a Redis Cluster have no reachable master: the message names each slot range, its node and
/// why. Keys in the other slots still work when <see cref="SomeSlotsServed"/> is true.
/// </summary>
public sealed class RespClusterUnavailableException : RespException
{
    /// <summary>Creates the exception from the per-range problems.</summary>
    public RespClusterUnavailableException(IReadOnlyList<string> problems, bool someSlotsServed)
        : base((someSlotsServed ? "Part of the cluster is unavailable: " : "No cluster master is reachable: ") + string.Join("; ", problems) + ".")
    {
        Problems = problems;
        SomeSlotsServed = someSlotsServed;
    }

    /// <summary>One entry per unavailable slot range, e.g. <c>slots 0-5460 at 127.0.0.1:7000: Cannot connect ...</c>.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>True when at least one master answered: the cluster serves part of the keys.</summary>
    public bool SomeSlotsServed { get; }
}
