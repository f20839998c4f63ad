using WebFarm.Agent.Control;

namespace WebFarm.Controller.Agents;

/// <summary>One row of GET /api/agents (`webfarm agents list`).</summary>
/// <param name="Detail">Why it is in its state ("waiting for GET / to pass: status 503", "no heartbeat for 5.1 s").</param>
/// <param name="Labels">Its labels, as its agent last reported them.</param>
public sealed record AgentInfo(string Name, string Address, AgentState State, DateTimeOffset JoinedAt, DateTimeOffset? LastHeartbeat, ServerLoad? Load, string Detail, IReadOnlyDictionary<string, string> Labels);
