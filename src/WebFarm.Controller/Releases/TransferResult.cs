namespace WebFarm.Controller.Releases;

/// <summary>GET /api/transfer's answer: the blobs and bytes received from clients and sent to agents since start.</summary>
public sealed record TransferResult(long BlobsReceived, long BytesReceived, long BlobsSent, long BytesSent);
