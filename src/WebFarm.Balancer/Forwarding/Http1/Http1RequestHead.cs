using System.Buffers;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// The request head sent to a server, written straight to bytes from the client's request by the rules both upstream
/// paths share (<see cref="RequestHeaderForwarding"/>). Only for requests without a body. The buffer is rented;
/// <see cref="Dispose"/> returns it.
/// </summary>
internal struct Http1RequestHead : IRequestHeaderSink, IDisposable
{
    private byte[] _buffer;
    private int _length;

    private Http1RequestHead(int capacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        _length = 0;
    }

    public readonly ReadOnlyMemory<byte> Bytes => _buffer.AsMemory(0, _length);

    public static Http1RequestHead Create(HttpContext context, string pathPrefix, string target, string host, TrustedProxies trusted, string requestId)
    {
        var request = context.Request;
        var head = new Http1RequestHead(2048);
        head.WriteLatin1(request.Method);
        head.Write(" "u8);
        if (target != "*")
        {
            // The asterisk form names the server itself: no path prefix goes before it.
            head.WriteLatin1(pathPrefix);
        }

        head.WriteLatin1(target);
        head.Write(" HTTP/1.1\r\nHost: "u8);
        head.WriteLatin1(host);
        head.Write("\r\n"u8);

        var sentContentLength = RequestHeaderForwarding.CopyClientHeaders(context, trusted, upgrade: false, ref head);
        if (sentContentLength || HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
        {
            // A bodyless request reaches this path only with "Content-Length: 0" or none; an empty POST still says
            // so, because some servers refuse a POST without a length (411).
            head.Write("Content-Length: 0\r\n"u8);
        }

        RequestHeaderForwarding.AddForwarded(context, trusted, requestId, ref head);
        head.Write("\r\n"u8);
        return head;
    }

    /// <summary>
    /// A GET of the balancer's own (a health probe's): <paramref name="target"/> (origin form, already escaped),
    /// <paramref name="host"/>, then <paramref name="headerLines"/> (complete "Name: value\r\n" lines).
    /// </summary>
    public static Http1RequestHead CreateGet(string target, string host, ReadOnlySpan<byte> headerLines)
    {
        var head = new Http1RequestHead(256);
        head.Write("GET "u8);
        head.WriteLatin1(target);
        head.Write(" HTTP/1.1\r\nHost: "u8);
        head.WriteLatin1(host);
        head.Write("\r\n"u8);
        head.Write(headerLines);
        head.Write("\r\n"u8);
        return head;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Add(string name, string value)
    {
        WriteLatin1(name);
        Write(": "u8);
        WriteText(value);
        Write("\r\n"u8);
    }

    public void AddForwardedFor(IPAddress? client, string? joined)
    {
        Write("X-Forwarded-For: "u8);
        if (joined is not null)
        {
            WriteText(joined);
        }
        else if (client is null)
        {
            Write("unknown"u8);
        }
        else
        {
            // Formatted straight into the buffer: no string per request.
            Ensure(64);
            if (!client.TryFormat(_buffer.AsSpan(_length), out var written))
            {
                throw new InvalidOperationException("An IP address did not fit in 64 bytes.");
            }

            _length += written;
        }

        Write("\r\n"u8);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Names, methods, targets, schemes and hosts: ASCII by the time Kestrel accepted them.</summary>
    private void WriteLatin1(string text)
    {
        Ensure(text.Length);
        _length += Encoding.Latin1.GetBytes(text, _buffer.AsSpan(_length));
    }

    /// <summary>Header values: Kestrel decodes them as Latin-1 unless configured for UTF-8, so write them back the same way.</summary>
    private void WriteText(string text)
    {
        if (!text.AsSpan().ContainsAnyExceptInRange('\0', '\u00FF'))
        {
            WriteLatin1(text);
            return;
        }

        Ensure(Encoding.UTF8.GetMaxByteCount(text.Length));
        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
    }

    private void Ensure(int count)
    {
        if (_buffer.Length - _length >= count)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
