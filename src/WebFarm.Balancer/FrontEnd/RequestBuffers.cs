namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// Everything the front end needs while one request is in progress on a connection: the parsed request head, the
/// head written for the server, and the response head held back until the first body byte. A connection rents one
/// from <see cref="RequestBufferPool"/> when a request head arrives and gives it back when the response is done, so
/// an idle keep-alive connection holds none of these (about 3.3 KB each: docs/benchmarks.md, "Balancer memory").
/// </summary>
internal sealed class RequestBuffers
{
    /// <summary>Sized for common response heads and grown on demand.</summary>
    private const int ResponseHeadSize = 1024;

    /// <summary>
    /// Buffers that grew past this (a 16 KiB request head, a large response head) are not kept in the pool: a few
    /// unusual requests should not leave every pooled set at their size.
    /// </summary>
    private const int MaxPooledSize = 4 * 1024;

    private byte[] _responseHead = new byte[ResponseHeadSize];

    public ClientRequestHead Head { get; } = new();

    public UpstreamHeadWriter Upstream { get; } = new();

    /// <summary>Whether these buffers are small enough to go back to the pool.</summary>
    public bool Poolable => _responseHead.Length <= MaxPooledSize && Head.Capacity <= MaxPooledSize && Upstream.Capacity <= MaxPooledSize;

    /// <summary>A buffer of at least <paramref name="capacity"/> bytes for the response head (its contents are not kept).</summary>
    public byte[] ResponseHead(int capacity)
    {
        if (_responseHead.Length < capacity)
        {
            _responseHead = new byte[capacity];
        }

        return _responseHead;
    }
}
