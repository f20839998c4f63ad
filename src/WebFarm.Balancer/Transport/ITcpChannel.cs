namespace WebFarm.Balancer.Transport;

/// <summary>
/// A connected TCP stream as the direct upstream path uses it: one receive and one send at a time, each possibly
/// pending. Implemented by <see cref="EpollSocket"/> and, where epoll is not used, by <see cref="SocketChannel"/>.
/// </summary>
internal interface ITcpChannel : IDisposable
{
    /// <summary>Receives into <paramref name="buffer"/> (not empty); 0 means the peer closed its side.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">Reset, or the channel was disposed.</exception>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer);

    /// <summary>Sends all of <paramref name="data"/>; completes synchronously when the kernel takes it at once (the usual case).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">Reset, or the channel was disposed.</exception>
    ValueTask SendAsync(ReadOnlyMemory<byte> data);
}
