namespace WebFarm.Controller.Releases;

/// <summary>POST /api/blobs/missing's answer: the hashes the controller does not hold yet.</summary>
public sealed record BlobsMissingResult(IReadOnlyList<string> Missing);
