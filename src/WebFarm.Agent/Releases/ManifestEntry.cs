namespace WebFarm.Agent.Releases;

/// <summary>
/// One file of a release or content set: its path relative to the tree's root ('/'-separated), its size in bytes,
/// its Unix permission bits (0-0777) and the SHA-256 of its content (64 lowercase hex digits, the blob's name).
/// </summary>
public sealed record ManifestEntry(string Path, long Size, int Mode, string Sha256);
