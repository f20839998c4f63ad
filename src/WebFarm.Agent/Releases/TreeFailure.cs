namespace WebFarm.Agent.Releases;

/// <summary>A tree an agent could not install, and why (<see cref="Kind"/> is "release" or "content").</summary>
public sealed record TreeFailure(string Kind, string Name, long Id, string Reason);
