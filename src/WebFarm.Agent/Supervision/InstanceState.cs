namespace WebFarm.Agent.Supervision;

/// <summary>The life cycle of one supervised app instance (one child process at a time).</summary>
public enum InstanceState
{
    /// <summary>Not started yet, or stopped on request; nothing runs.</summary>
    Stopped = 0,

    /// <summary>The process is being launched.</summary>
    Starting = 1,

    /// <summary>The process runs. Whether it serves requests is the balancer's health checks' call.</summary>
    Running = 2,

    /// <summary>A stop was requested: draining through the callback, then SIGTERM, then SIGKILL.</summary>
    Stopping = 3,

    /// <summary>The process exited without being asked to (or could not be launched).</summary>
    Crashed = 4,

    /// <summary>Waiting out the restart delay after a crash.</summary>
    BackingOff = 5,
}
