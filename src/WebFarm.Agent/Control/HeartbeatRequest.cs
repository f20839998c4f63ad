namespace WebFarm.Agent.Control;

/// <summary>POST /api/agents/heartbeat (Authorization: Bearer &lt;credential&gt;), once a second.</summary>
public sealed record HeartbeatRequest(ServerLoad Load);
