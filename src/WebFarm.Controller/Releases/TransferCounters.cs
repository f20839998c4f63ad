namespace WebFarm.Controller.Releases;

/// <summary>Blobs and bytes the controller received (uploads) and sent (to agents) since it started; GET /api/transfer.</summary>
public sealed class TransferCounters
{
    private long _blobsReceived;
    private long _bytesReceived;
    private long _blobsSent;
    private long _bytesSent;

    public long BlobsReceived => Interlocked.Read(ref _blobsReceived);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public long BlobsSent => Interlocked.Read(ref _blobsSent);

    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public void Received(long bytes)
    {
        Interlocked.Increment(ref _blobsReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    public void Sent(long bytes)
    {
        Interlocked.Increment(ref _blobsSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }
}
