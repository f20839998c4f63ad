namespace WebFarm.Controller.Releases;

/// <summary>A release or content set version as the API lists it: its <see cref="TreeRecord"/> and its <see cref="TreePlacement"/>.</summary>
public sealed record TreeView(
    string Name,
    long Id,
    DateTimeOffset Created,
    string? Message,
    long Size,
    int Files,
    int Changed,
    IReadOnlyList<string> InstalledOn,
    IReadOnlyDictionary<string, string> RefusedBy);
