namespace WebFarm.Agent.Readiness;

/// <summary>How a start-up wait for one instance ended.</summary>
public enum ReadinessOutcome
{
    /// <summary>The health check passed.</summary>
    Ready = 0,

    /// <summary>The instance answers, but its health check kept failing for the grace period.</summary>
    Unhealthy = 1,

    /// <summary>The process exited (or could not be launched) before it was ready.</summary>
    Exited = 2,

    /// <summary>The process runs but never accepted a connection on its port within the listen timeout.</summary>
    NotListening = 3,
}
