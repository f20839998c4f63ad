namespace WebFarm.Controller.Releases;

/// <summary>Where one release or content set version is: the servers holding it and those that refused it (server → reason).</summary>
public sealed record TreePlacement(IReadOnlyList<string> InstalledOn, IReadOnlyDictionary<string, string> RefusedBy);
