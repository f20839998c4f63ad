namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Consistent hash of the connection's remote IP address (NLB "Single" affinity): a client keeps going to
/// the same server while the set of servers stays the same. Without a remote address (e.g. in-process
/// transports) it falls back to weighted random.
/// </summary>
public sealed class ClientIpPolicy() : ClientAddressPolicy(ipv4Bytes: 4, ipv6Bytes: 16);
