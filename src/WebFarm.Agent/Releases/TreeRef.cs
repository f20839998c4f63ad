namespace WebFarm.Agent.Releases;

/// <summary>A release (<see cref="Name"/> = the app, <see cref="Id"/> = its number) or a content set's version.</summary>
public sealed record TreeRef(string Name, long Id);
