using WebFarm.Agent.Releases;

namespace WebFarm.Controller.Releases.Packaging;

/// <summary>The body that creates a release or a content set version: {"message": ..., "files": [...]}.</summary>
public sealed record ReleaseUpload(string? Message, IReadOnlyList<ManifestEntry> Files);
