namespace WebFarm.Agent.Control;

/// <summary>The controller's answer to a heartbeat.</summary>
/// <param name="Name">The server the controller takes the agent for.</param>
/// <param name="State">That server's state (joined, ready, lost).</param>
/// <param name="AppsVersion">The version of <paramref name="Apps"/>: the agent reconciles when it changes.</param>
/// <param name="Apps">The apps this server should run.</param>
/// <param name="TraceReceived">The newest trace sequence the controller holds for this agent: the next batch starts after it.</param>
/// <param name="TraceClearUpTo">When set, the agent forgets its trace up to this sequence (`webfarm trace --clear`).</param>
/// <param name="Commands">`webfarm run` commands for this server whose result the controller has not received yet.</param>
public sealed record HeartbeatResponse(string Name, string State, string? AppsVersion = null, IReadOnlyList<DesiredApp>? Apps = null, long TraceReceived = 0, long? TraceClearUpTo = null, IReadOnlyList<CommandRequest>? Commands = null);
