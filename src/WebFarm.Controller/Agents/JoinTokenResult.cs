namespace WebFarm.Controller.Agents;

/// <summary>POST /api/agents/tokens's answer: a one-time join token and when it expires.</summary>
public sealed record JoinTokenResult(string Token, DateTimeOffset Expires);
