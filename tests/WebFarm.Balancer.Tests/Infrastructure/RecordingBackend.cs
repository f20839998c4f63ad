using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>
/// A raw HTTP/1.1 server that records the exact bytes of every request it receives (head and body) and judges their
/// framing strictly, as a demanding server would: CRLF line ends only, header names that are tokens, no control
/// characters in values but HTAB, one Content-Length of digits or "Transfer-Encoding: chunked" alone, never both.
/// A request whose framing is ambiguous is recorded with the reason and the connection closed (nothing can be known
/// about its end). Every other request is answered by <see cref="Respond"/> (200 "ok" by default) and the connection kept.
/// </summary>
public sealed class RecordingBackend : IAsyncDisposable
{
    private static readonly byte[] Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly RawHttp.Server _server;

    public RecordingBackend(Func<ReceivedRequest, byte[]>? respond = null)
    {
        Respond = respond ?? (_ => Ok);
        _server = new RawHttp.Server(ServeAsync);
    }

    /// <summary>What the server answers to a well-framed request.</summary>
    public Func<ReceivedRequest, byte[]> Respond { get; }

    public string Address => _server.Address;

    /// <summary>Every request received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task ServeAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffered = new List<byte>();
        var chunk = new byte[8192];
        while (true)
        {
            int end;
            while ((end = IndexOf(buffered, "\r\n\r\n"u8)) < 0)
            {
                var n = await stream.ReadAsync(chunk, cancellationToken);
                if (n == 0)
                {
                    if (buffered.Count > 0)
                    {
                        _requests.Enqueue(new ReceivedRequest([.. buffered], [], null, Truncated: true));
                    }

                    return;
                }

                buffered.AddRange(chunk.AsSpan(0, n));
            }

            var head = buffered.GetRange(0, end + 4).ToArray();
            buffered.RemoveRange(0, end + 4);
            var (framing, error) = Judge(head);
            if (error is not null)
            {
                _requests.Enqueue(new ReceivedRequest(head, [.. buffered], error));
                return;
            }

            var body = new List<byte>();
            if (framing >= 0)
            {
                while (buffered.Count < framing)
                {
                    var n = await stream.ReadAsync(chunk, cancellationToken);
                    if (n == 0)
                    {
                        _requests.Enqueue(new ReceivedRequest(head, [.. buffered], null, Truncated: true));
                        return;
                    }

                    buffered.AddRange(chunk.AsSpan(0, n));
                }

                body.AddRange(buffered.GetRange(0, (int)framing));
                buffered.RemoveRange(0, (int)framing);
            }
            else
            {
                // Chunked: keep the raw chunks as they came, up to and including the last chunk's empty trailer line.
                int last;
                while ((last = ChunkedEnd(buffered)) < 0)
                {
                    if (last == -2)
                    {
                        _requests.Enqueue(new ReceivedRequest(head, [.. buffered], "a malformed chunk size line"));
                        return;
                    }

                    var n = await stream.ReadAsync(chunk, cancellationToken);
                    if (n == 0)
                    {
                        _requests.Enqueue(new ReceivedRequest(head, [.. buffered], null, Truncated: true));
                        return;
                    }

                    buffered.AddRange(chunk.AsSpan(0, n));
                }

                body.AddRange(buffered.GetRange(0, last));
                buffered.RemoveRange(0, last);
            }

            var request = new ReceivedRequest(head, [.. body], null);
            _requests.Enqueue(request);
            await stream.WriteAsync(Respond(request), cancellationToken);
        }
    }

    /// <summary>The body length (-1 for chunked) or why the head's framing is not unambiguous.</summary>
    private static (long Length, string? Error) Judge(byte[] head)
    {
        var text = Encoding.Latin1.GetString(head, 0, head.Length - 2);
        var lines = text.Split("\r\n");
        if (lines.Any(l => l.Contains('\r') || l.Contains('\n')))
        {
            return (0, "a bare CR or LF in the head");
        }

        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0].Length == 0 || !requestLine[0].All(IsTokenChar) || requestLine[1].Length == 0
            || requestLine[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            return (0, "a malformed request line: " + lines[0]);
        }

        long? length = null;
        var chunked = false;
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || !line[..colon].All(IsTokenChar))
            {
                return (0, "a header name that is not a token: " + line);
            }

            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (value.Any(c => (c < 0x20 && c != '\t') || c == 0x7f))
            {
                return (0, "a control character in a header value: " + line);
            }

            var name = line[..colon];
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (length is not null || value.Length == 0 || !value.All(char.IsAsciiDigit))
                {
                    return (0, "a second or malformed Content-Length: " + line);
                }

                length = long.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                if (chunked || !value.Equals("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    return (0, "a Transfer-Encoding other than one \"chunked\": " + line);
                }

                chunked = true;
            }
        }

        if (chunked && length is not null)
        {
            return (0, "both Content-Length and Transfer-Encoding");
        }

        return (chunked ? -1 : length ?? 0, null);
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);

    /// <summary>Where a chunked body that starts at the buffer's start ends (after the final CRLF), -1 if not yet, -2 if malformed.</summary>
    private static int ChunkedEnd(List<byte> buffered)
    {
        var at = 0;
        while (true)
        {
            var lineEnd = IndexOf(buffered, "\r\n"u8, at);
            if (lineEnd < 0)
            {
                return -1;
            }

            var sizeText = Encoding.Latin1.GetString(buffered.GetRange(at, lineEnd - at).ToArray());
            var semicolon = sizeText.IndexOf(';');
            var sizeDigits = semicolon < 0 ? sizeText : sizeText[..semicolon];
            if (sizeDigits.Length == 0 || !sizeDigits.All(char.IsAsciiHexDigit)
                || !int.TryParse(sizeDigits, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size))
            {
                return -2;
            }

            at = lineEnd + 2;
            if (size == 0)
            {
                // Trailer lines until an empty one.
                while (true)
                {
                    var trailerEnd = IndexOf(buffered, "\r\n"u8, at);
                    if (trailerEnd < 0)
                    {
                        return -1;
                    }

                    var empty = trailerEnd == at;
                    at = trailerEnd + 2;
                    if (empty)
                    {
                        return at;
                    }
                }
            }

            if (buffered.Count < at + size + 2)
            {
                return -1;
            }

            at += size + 2;
        }
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> pattern, int from = 0)
    {
        for (var i = from; i + pattern.Length <= bytes.Count; i++)
        {
            var match = true;
            for (var j = 0; j < pattern.Length && match; j++)
            {
                match = bytes[i + j] == pattern[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>
/// One request as a <see cref="RecordingBackend"/> received it: exact bytes, why its framing was refused (null when it
/// was sound), and whether the connection ended before it was complete (a request the balancer abandoned).
/// </summary>
public sealed record ReceivedRequest(byte[] Head, byte[] Body, string? FramingError, bool Truncated = false)
{
    /// <summary>The head as Latin-1 text: one character per byte, so obs-text bytes can be compared exactly.</summary>
    public string HeadText => Encoding.Latin1.GetString(Head);

    public string RequestLine => HeadText[..HeadText.IndexOf("\r\n", StringComparison.Ordinal)];

    public List<KeyValuePair<string, string>> Headers => RawHttp.HeaderLines(HeadText);

    public List<string> Values(string name) => RawHttp.Values(Headers, name);

    public override string ToString() => HeadText + Encoding.Latin1.GetString(Body) + (FramingError is null ? string.Empty : " [" + FramingError + "]") + (Truncated ? " [truncated]" : string.Empty);
}
