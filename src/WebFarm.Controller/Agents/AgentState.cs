namespace WebFarm.Controller.Agents;

/// <summary>Where a joined server stands, as the controller sees it.</summary>
public enum AgentState
{
    /// <summary>Its agent heartbeats; its address has not passed the health check yet (not in rotation).</summary>
    Joined,

    /// <summary>Ready for load balancing: heartbeating and healthy, in the balancer's rotation.</summary>
    Ready,

    /// <summary>Heartbeats missed (5 by default): out of rotation until they come back.</summary>
    Lost,
}
