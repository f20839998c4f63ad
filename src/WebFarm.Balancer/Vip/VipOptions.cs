namespace WebFarm.Balancer.Vip;

/// <summary>
/// What `webfarm vip` was given, as typed: <see cref="VipSettings.From"/> checks it and names the option of every
/// problem.
/// </summary>
public sealed record VipOptions
{
    /// <summary>The virtual addresses with their prefix length, like 10.0.0.100/24 (--vip, one or more).</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>The network interface that carries the addresses and the VRRP adverts (--interface).</summary>
    public string Interface { get; init; } = string.Empty;

    /// <summary>1-254: the higher one holds the addresses when both nodes start (--priority).</summary>
    public int Priority { get; init; } = 100;

    /// <summary>1-255, the same on both nodes and unique on the network segment (--router-id).</summary>
    public int RouterId { get; init; }

    /// <summary>The other node(s): adverts go to them by unicast instead of multicast (--peer); empty = multicast.</summary>
    public IReadOnlyList<string> Peers { get; init; } = [];

    /// <summary>VRRP simple password (at most 8 characters), the same on both nodes (--auth-pass); null = none.</summary>
    public string? AuthPass { get; init; }

    /// <summary>The local balancer's admin listener (or its /healthz URL) that the track script checks (--track).</summary>
    public string Track { get; init; } = "http://127.0.0.1:8089";

    /// <summary>The VRRP instance name, in keepalived's log and configuration (--name).</summary>
    public string Name { get; init; } = "webfarm";
}
