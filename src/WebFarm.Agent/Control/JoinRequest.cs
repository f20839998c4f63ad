namespace WebFarm.Agent.Control;

/// <summary>POST /api/agents/join: an agent presents a one-time join token and names its server.</summary>
/// <param name="JoinToken">From `webfarm agents token`; consumed by a successful join.</param>
/// <param name="Name">The server's name in the farm (the balancer's server-name rules).</param>
/// <param name="Address">The base URL the balancer forwards to, like http://10.0.0.11:5000.</param>
public sealed record JoinRequest(string JoinToken, string Name, string Address);
