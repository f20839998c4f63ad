using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A hostile or broken RESP server on a loopback port: every command (an array of bulk strings) is passed to a script
/// that returns the raw bytes to answer (<see cref="Text"/>), those bytes and then a hang-up (<see cref="HangUpAfter"/>),
/// or <see cref="Silence"/> to never answer.
/// </summary>
internal sealed class ScriptedRespServer : IAsyncDisposable
{
    public static readonly ScriptedReply Silence = new([], HangUp: false, Silent: true);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string[], ScriptedReply> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _accept;
    private int _commands;

    public ScriptedRespServer(Func<string[], ScriptedReply> script)
    {
        _script = script;
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string EndPoint => $"127.0.0.1:{Port}";

    /// <summary>Commands received so far.</summary>
    public int Commands => Volatile.Read(ref _commands);

    public static ScriptedReply Text(string raw) => new(Encoding.UTF8.GetBytes(raw), HangUp: false, Silent: false);

    /// <summary>Sends <paramref name="raw"/> (typically half a reply) and closes the connection.</summary>
    public static ScriptedReply HangUpAfter(string raw) => new(Encoding.UTF8.GetBytes(raw), HangUp: true, Silent: false);

    /// <summary><c>INFO cluster</c> answered as a cluster node does.</summary>
    public static ScriptedReply ClusterInfo() => Bulk("# Cluster\r\ncluster_enabled:1\r\n");

    public static ScriptedReply Bulk(string value) => Text($"${Encoding.UTF8.GetByteCount(value)}\r\n{value}\r\n");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        try
        {
            await _accept;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            lock (_sockets)
            {
                _sockets.Add(socket);
            }

            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                int read = await socket.ReceiveAsync(chunk, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                buffer.AddRange(chunk.AsSpan(0, read));
                while (TryTakeCommand(buffer, out var command))
                {
                    Interlocked.Increment(ref _commands);
                    var reply = _script(command);
                    if (reply.Silent)
                    {
                        continue;
                    }

                    await socket.SendAsync(reply.Bytes, SocketFlags.None, _stop.Token);
                    if (reply.HangUp)
                    {
                        socket.Shutdown(SocketShutdown.Both);
                        socket.Close();
                        return;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>Takes one complete <c>*N\r\n($len\r\narg\r\n)*N</c> from the front of the buffer.</summary>
    private static bool TryTakeCommand(List<byte> buffer, out string[] command)
    {
        command = [];
        var bytes = buffer.ToArray();
        int position = 0;
        if (!TryLine(bytes, ref position, out string header) || header[0] != '*')
        {
            return false;
        }

        var args = new string[int.Parse(header.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)];
        for (int i = 0; i < args.Length; i++)
        {
            if (!TryLine(bytes, ref position, out string lengthLine))
            {
                return false;
            }

            int length = int.Parse(lengthLine.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            if (bytes.Length < position + length + 2)
            {
                return false;
            }

            args[i] = Encoding.UTF8.GetString(bytes, position, length);
            position += length + 2;
        }

        buffer.RemoveRange(0, position);
        command = args;
        return true;
    }

    private static bool TryLine(byte[] bytes, ref int position, out string line)
    {
        line = string.Empty;
        int end = Array.IndexOf(bytes, (byte)'\n', position);
        if (end < 0)
        {
            return false;
        }

        line = Encoding.ASCII.GetString(bytes, position, end - 1 - position);
        position = end + 1;
        return true;
    }
}

/// <summary>What a <see cref="ScriptedRespServer"/> does with one command.</summary>
internal sealed record ScriptedReply(byte[] Bytes, bool HangUp, bool Silent);
