namespace WebFarm.AspNetCore.Resp.Cluster;

/// <summary>
/// The client's connections to one cluster node: <see cref="RespClientOptions.ConnectionCount"/> multiplexed,
/// pipelined sockets used round robin, each reconnecting with backoff on its own.
/// </summary>
internal sealed class ClusterNode
{
    private readonly RespConnectionSlot[] _slots;
    private int _next;

    public ClusterNode(RespEndPoint endPoint, RespConnector connector, RespClientOptions options, CancellationToken disposing)
    {
        EndPoint = endPoint;
        _slots = new RespConnectionSlot[options.ConnectionCount];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new RespConnectionSlot(ct => connector.OpenAsync(endPoint, -1, ct), options.MaxReconnectBackoff, disposing);
        }
    }

    public RespEndPoint EndPoint { get; }

    /// <summary>A connection (the next one round robin); faults fast while the node is backing off.</summary>
    public Task<RespConnection> GetAsync() => _slots[(int)((uint)Interlocked.Increment(ref _next) % (uint)_slots.Length)].GetAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var slot in _slots)
        {
            if (slot.Current is { } connection)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
