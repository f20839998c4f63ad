using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>
/// A client connection for TCP farm tests, optionally from a chosen loopback source address (127.x.y.z all reach
/// 127.0.0.1 on Linux), with line reads bounded in time.
/// </summary>
public sealed class TcpTestClient : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(20);
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly StringBuilder _pending = new();

    private TcpTestClient(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    public static async Task<TcpTestClient> ConnectAsync(IPEndPoint target, IPAddress? source = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            using var timeout = new CancellationTokenSource(ReadTimeout);
            await socket.ConnectAsync(target, timeout.Token);
            return new TcpTestClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects and reads the greeting line a <see cref="TcpBackend.StartGreeter"/> server sends: its name.</summary>
    public static async Task<string> GreetingFromAsync(IPEndPoint target, IPAddress? source = null)
    {
        using var client = await ConnectAsync(target, source);
        return await client.ReadLineAsync() ?? throw new InvalidOperationException("closed before the greeting");
    }

    public Task SendAsync(string text) => Socket.SendAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>The next line without its "\n"; null when the connection ended (FIN or reset) first.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        while (true)
        {
            var text = _pending.ToString();
            var end = text.IndexOf('\n', StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.Remove(0, end + 1);
                return text[..end];
            }

            int n;
            try
            {
                n = await Socket.ReceiveAsync(_buffer, SocketFlags.None, timeout.Token);
            }
            catch (SocketException)
            {
                return null;
            }

            if (n == 0)
            {
                return null;
            }

            _pending.Append(Encoding.ASCII.GetString(_buffer, 0, n));
        }
    }

    /// <summary>Everything until the peer's FIN (a reset ends it too).</summary>
    public async Task<string> ReadToEndAsync()
    {
        var all = new StringBuilder(_pending.ToString());
        _pending.Clear();
        using var timeout = new CancellationTokenSource(ReadTimeout);
        while (true)
        {
            int n;
            try
            {
                n = await Socket.ReceiveAsync(_buffer, SocketFlags.None, timeout.Token);
            }
            catch (SocketException)
            {
                return all.ToString();
            }

            if (n == 0)
            {
                return all.ToString();
            }

            all.Append(Encoding.ASCII.GetString(_buffer, 0, n));
        }
    }

    /// <summary>True when the connection ends (FIN or reset) before any more bytes arrive, within the read timeout.</summary>
    public async Task<bool> EndsAsync() => (await ReadToEndAsync()).Length == 0;

    public void Dispose() => Socket.Dispose();
}
