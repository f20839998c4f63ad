namespace WebFarm.Balancer.FrontEnd;

/// <summary>How the front end answers a complete request head (<see cref="Http1FrontEnd.Take"/>).</summary>
internal enum FrontEndAnswer
{
    /// <summary>Kestrel's HTTP stack gets the connection, this request first.</summary>
    HandOff,

    /// <summary>The front end forwards it on the direct upstream path.</summary>
    Forward,

    /// <summary>The front end answers it from a fresh copy in the route's response cache.</summary>
    CacheHit,
}
