namespace WebFarm.Controller.Releases;

/// <summary>
/// A stored release (<see cref="Kind"/> "release", <see cref="Name"/> = the app) or content set version ("content"):
/// its number, when and why it was made, its size, how many files it has and how many differ from the one before.
/// </summary>
public sealed record TreeRecord(string Kind, string Name, long Id, DateTimeOffset Created, string? Message, long Size, int Files, int Changed);
