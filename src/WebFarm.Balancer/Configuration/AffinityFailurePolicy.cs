namespace WebFarm.Balancer.Configuration;

/// <summary>What happens when the server a client is bound to cannot take the request.</summary>
public enum AffinityFailurePolicy
{
    /// <summary>Choose another server and rebind.</summary>
    Redistribute,

    /// <summary>Answer 503.</summary>
    Fail,
}
