namespace WebFarm.Controller.Releases;

/// <summary>PUT /api/blobs/{sha256}'s answer: <paramref name="Stored"/> is false when the blob was already there.</summary>
public sealed record BlobStoreResult(string Sha256, bool Stored);
