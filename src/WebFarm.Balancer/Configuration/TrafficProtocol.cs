namespace WebFarm.Balancer.Configuration;

/// <summary>
/// What a listener accepts and what a farm's servers speak: HTTP (routed per request) or plain TCP (NLB port rules,
/// HAProxy's <c>mode tcp</c>: each connection goes whole to one server of the listener's farm). One value for both, so
/// a TCP listener and the farm it names are checked against each other by equality.
/// </summary>
public enum TrafficProtocol
{
    Http,
    Tcp,
}
