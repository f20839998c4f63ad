namespace WebFarm.Balancer.Pipeline;

/// <summary>What the choose stage found for one attempt.</summary>
internal enum ChoiceOutcome
{
    /// <summary>A server was chosen (and the client bound to it when the farm has affinity).</summary>
    Chosen,

    /// <summary>The client is bound to a server that cannot take it and the farm's affinity rejects rather than moves it.</summary>
    AffinityRejected,

    /// <summary>No server may take the request (none available, or every candidate already failed it).</summary>
    NoServer,
}
