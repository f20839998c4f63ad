namespace WebFarm.Agent.Control;

/// <summary>The controller's answer to a heartbeat: who it takes the agent for and that server's state.</summary>
public sealed record HeartbeatResponse(string Name, string State);
