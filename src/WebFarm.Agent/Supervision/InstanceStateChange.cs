namespace WebFarm.Agent.Supervision;

/// <summary>One transition of a supervised instance, with a human-readable reason ("exited with code 137").</summary>
/// <param name="ProcessId">The child concerned (the one that crashed, for <see cref="InstanceState.Crashed"/>).</param>
/// <param name="RestartDelay">For <see cref="InstanceState.BackingOff"/>: how long until the restart.</param>
public sealed record InstanceStateChange(
    string Instance,
    InstanceState Previous,
    InstanceState Current,
    int? ProcessId,
    string Reason,
    DateTimeOffset Time,
    TimeSpan? RestartDelay = null);
