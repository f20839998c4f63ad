namespace WebFarm.Controller.Releases.Packaging;

/// <summary>The release (or content set version) created, its changed files, and what had to be sent for it.</summary>
public sealed record UploadResult(long Id, int Changed, int BlobsSent, long BytesSent);
