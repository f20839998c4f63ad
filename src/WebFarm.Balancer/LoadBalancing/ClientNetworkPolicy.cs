namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Consistent hash of the client's network (NLB "Class C" affinity): IPv4 /24, IPv6 /64. Clients behind a
/// pool of proxies that share a network keep the same server.
/// </summary>
public sealed class ClientNetworkPolicy() : ClientAddressPolicy(ipv4Bytes: 3, ipv6Bytes: 8);
