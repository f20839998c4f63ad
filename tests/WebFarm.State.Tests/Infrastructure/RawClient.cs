using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WebFarm.State.Tests.Infrastructure;

/// <summary>
/// A deliberately minimal socket client for tests that need exact bytes on the wire (malformed input,
/// pipelining, inline commands). Replies are parsed into string, long, null, RespError or object?[].
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(20);

    public Socket Socket => _socket;

    public static async Task<RawClient> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(endPoint, cts.Token);
        return new RawClient(socket);
    }

    public Task SendRawAsync(string text) => SendRawAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendRawAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await _stream.WriteAsync(bytes, cts.Token);
    }

    public static byte[] Encode(params object[] args)
    {
        var output = new MemoryStream();
        output.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var arg in args)
        {
            var bytes = arg as byte[] ?? Encoding.UTF8.GetBytes(Convert.ToString(arg, System.Globalization.CultureInfo.InvariantCulture)!);
            output.Write(Encoding.ASCII.GetBytes($"${bytes.Length}\r\n"));
            output.Write(bytes);
            output.Write("\r\n"u8);
        }

        return output.ToArray();
    }

    public async Task<object?> CallAsync(params object[] args)
    {
        await SendRawAsync(Encode(args));
        return await ReadReplyAsync();
    }

    public async Task<object?> ReadReplyAsync()
    {
        var line = await ReadLineAsync();
        var payload = line[1..];
        switch (line[0])
        {
            case '+':
                return payload;
            case '-':
                return new RespError(payload);
            case ':':
                return long.Parse(payload, System.Globalization.CultureInfo.InvariantCulture);
            case '$':
                {
                    var length = int.Parse(payload, System.Globalization.CultureInfo.InvariantCulture);
                    if (length < 0)
                    {
                        return null;
                    }

                    var bytes = await ReadExactAsync(length + 2);
                    return Encoding.UTF8.GetString(bytes, 0, length);
                }

            case '*':
                {
                    var count = int.Parse(payload, System.Globalization.CultureInfo.InvariantCulture);
                    if (count < 0)
                    {
                        return null;
                    }

                    var items = new object?[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = await ReadReplyAsync();
                    }

                    return items;
                }

            default:
                throw new InvalidDataException($"unexpected reply line '{line}'");
        }
    }

    public async Task<byte[]> ReadBulkBytesAsync()
    {
        var line = await ReadLineAsync();
        if (line[0] != '$')
        {
            throw new InvalidDataException($"expected a bulk reply, got '{line}'");
        }

        var length = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
        var bytes = await ReadExactAsync(length + 2);
        return bytes[..length];
    }

    /// <summary>A full sync's snapshot: "$length" then the payload, with no CRLF after it (as Redis sends its RDB).</summary>
    public async Task<byte[]> ReadSnapshotAsync()
    {
        var line = await ReadLineAsync();
        if (line[0] != '$')
        {
            throw new InvalidDataException($"expected a snapshot length, got '{line}'");
        }

        return await ReadExactAsync(int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>True when the server closed the connection (reads end) within the timeout.</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            while (true)
            {
                if (_start < _end)
                {
                    _start = _end;
                }

                var n = await _stream.ReadAsync(_buffer, cts.Token);
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>One raw reply line without its CRLF (tells a nil array "*-1" from a nil bulk "$-1").</summary>
    public async Task<string> ReadLineAsync()
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = Encoding.UTF8.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                _start = newline + 1;
                return line;
            }

            await FillAsync();
        }
    }

    private async Task<byte[]> ReadExactAsync(int count)
    {
        var result = new byte[count];
        var copied = 0;
        while (copied < count)
        {
            if (_start == _end)
            {
                await FillAsync();
            }

            var n = Math.Min(count - copied, _end - _start);
            Array.Copy(_buffer, _start, result, copied, n);
            _start += n;
            copied += n;
        }

        return result;
    }

    private async Task FillAsync()
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("reply line too long for the test client");
        }

        using var cts = new CancellationTokenSource(Timeout);
        var n = await _stream.ReadAsync(_buffer.AsMemory(_end), cts.Token);
        if (n == 0)
        {
            throw new EndOfStreamException("the server closed the connection");
        }

        _end += n;
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync();
}

public sealed record RespError(string Message)
{
    public override string ToString() => Message;
}
