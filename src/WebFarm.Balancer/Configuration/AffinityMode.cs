namespace WebFarm.Balancer.Configuration;

public enum AffinityMode
{
    None,
    Cookie,
    ClientIp,
    ClientNetwork,
}
