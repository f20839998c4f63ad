namespace WebFarm.State.Hosting;

/// <summary>When the append-only log is fsynced (Redis's appendfsync).</summary>
public enum AppendFsyncPolicy
{
    /// <summary>Once per second: a crash of the machine loses at most about a second of writes.</summary>
    EverySec,

    /// <summary>Before each reply to a write: nothing acknowledged is ever lost, at a throughput cost.</summary>
    Always,

    /// <summary>Leave it to the operating system.</summary>
    No,
}
