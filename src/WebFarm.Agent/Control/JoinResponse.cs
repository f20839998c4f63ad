namespace WebFarm.Agent.Control;

/// <summary>The answer to a join: the agent's own credential, presented (as a bearer token) with every heartbeat.</summary>
public sealed record JoinResponse(string Name, string Address, string Credential);
