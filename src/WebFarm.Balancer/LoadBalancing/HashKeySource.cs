namespace WebFarm.Balancer.LoadBalancing;

/// <summary>Which part of the request the Hash policy hashes.</summary>
public enum HashKeySource
{
    Header,
    Cookie,
    Path,
    Query,
}
