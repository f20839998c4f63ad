using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace WebFarm.Packaging.Tests.Systemd;

/// <summary>
/// What systemd listens on for a Type=notify service: a unix datagram socket (its path goes in NOTIFY_SOCKET). Every
/// datagram received is kept, in order, for the test to wait on.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly TempDirectory _directory = new("webfarm-notify-");
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly Channel<string> _messages = Channel.CreateUnbounded<string>();
    private readonly List<string> _received = [];

    public NotifySocket()
    {
        Path = System.IO.Path.Combine(_directory.Path, "notify");
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
        _ = ReceiveLoopAsync();
    }

    public string Path { get; }

    /// <summary>Every message so far, in arrival order.</summary>
    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Waits for the next message that has the line <paramref name="line"/> ("READY=1"); returns it whole.</summary>
    public async Task<string> NextWithAsync(string line, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(cts.Token);
                if (message.Split('\n').Contains(line))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{line}' within {timeout.TotalSeconds:0} s; received: [{string.Join(" | ", Received)}]");
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _directory.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None);
                var message = Encoding.UTF8.GetString(buffer, 0, n);
                lock (_received)
                {
                    _received.Add(message);
                }

                _messages.Writer.TryWrite(message);
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            _messages.Writer.TryComplete();
        }
    }
}
