using System.Net;
using System.Net.Sockets;

namespace WebFarm.Balancer.Transport;

/// <summary>An <see cref="ITcpChannel"/> on .NET's socket engine (the "Sockets" engine, and every platform without epoll).</summary>
internal sealed class SocketChannel : ITcpChannel
{
    private readonly Socket _socket;

    private SocketChannel(Socket socket)
    {
        _socket = socket;
    }

    /// <exception cref="SocketException">Refused or unreachable.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public static async ValueTask<SocketChannel> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new SocketChannel(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer) => _socket.ReceiveAsync(buffer, SocketFlags.None);

    public ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        var pending = _socket.SendAsync(data, SocketFlags.None);
        if (pending.IsCompletedSuccessfully && pending.Result == data.Length)
        {
            return default;
        }

        return SendRestAsync(pending, data);
    }

    public void Dispose() => _socket.Dispose();

    private async ValueTask SendRestAsync(ValueTask<int> pending, ReadOnlyMemory<byte> data)
    {
        while (true)
        {
            data = data[await pending.ConfigureAwait(false)..];
            if (data.IsEmpty)
            {
                return;
            }

            pending = _socket.SendAsync(data, SocketFlags.None);
        }
    }
}
