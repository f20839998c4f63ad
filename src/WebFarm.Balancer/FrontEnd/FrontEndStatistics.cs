namespace WebFarm.Balancer.FrontEnd;

/// <summary>How much of the HTTP/1.1 traffic the front end served itself, and how often it handed a connection to Kestrel.</summary>
public sealed class FrontEndStatistics
{
    private long _requests;
    private long _handOffs;
    private long _cacheHits;

    /// <summary>Requests the front end answered (error answers included).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Client connections handed to Kestrel's HTTP stack (each at its first request the front end did not take).</summary>
    public long HandOffs => Interlocked.Read(ref _handOffs);

    /// <summary>Of <see cref="Requests"/>, those answered from a route's response cache without Kestrel's HTTP stack.</summary>
    public long CacheHits => Interlocked.Read(ref _cacheHits);

    internal void RecordCacheHit() => Interlocked.Increment(ref _cacheHits);

    internal void RecordRequest() => Interlocked.Increment(ref _requests);

    internal void RecordHandOff() => Interlocked.Increment(ref _handOffs);
}
