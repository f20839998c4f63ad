using System.Buffers;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// The request head sent to a server, written straight to bytes from the client's request with the same rules as
/// the SocketsHttpHandler path (see HttpForwarder.CreateRequest): hop-by-hop headers and those the client's
/// Connection header names are dropped, values with CR/LF/NUL are dropped, X-Forwarded-* and X-Request-Id are set
/// by the balancer. Only for requests without a body. The buffer is rented; <see cref="Dispose"/> returns it.
/// </summary>
internal struct Http1RequestHead : IDisposable
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
        head.WriteLatin1(pathPrefix);
        head.WriteLatin1(target);
        head.Write(" HTTP/1.1\r\nHost: "u8);
        head.WriteLatin1(host);
        head.Write("\r\n"u8);

        var headers = request.Headers;
        var connection = headers.Connection.Count > 0 ? headers.Connection.ToString() : null;
        var sentContentLength = false;
        foreach (var header in headers)
        {
            var name = header.Key;
            if (HeaderRules.IsHopByHop(name))
            {
                // "TE: trailers" says we relay trailers (we do: chunked responses); other TE values are hop-by-hop.
                if (name.Length == 2 && HeaderRules.IsListedIn(header.Value.ToString(), "trailers"))
                {
                    head.Write("TE: trailers\r\n"u8);
                }

                continue;
            }

            if ((connection is not null && HeaderRules.IsListedIn(connection, name)) || HttpForwarder.IsSetByForwarder(name))
            {
                continue;
            }

            if (name.Length == 14 && name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                // A bodyless request reaches this path only with "Content-Length: 0" (or none).
                sentContentLength = true;
                head.Write("Content-Length: 0\r\n"u8);
                continue;
            }

            if (name.Length == 6 && header.Value.Count > 1 && name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                // HTTP/2 clients may split cookies over several fields; HTTP/1.1 servers expect one "; "-joined line.
                head.WriteHeader(name, string.Join("; ", header.Value.ToArray()));
                continue;
            }

            foreach (var value in header.Value)
            {
                head.WriteHeader(name, value);
            }
        }

        if (!sentContentLength && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method)))
        {
            // An empty POST still says so: some servers refuse a POST without a length (411).
            head.Write("Content-Length: 0\r\n"u8);
        }

        head.WriteForwarded(context, trusted);
        head.WriteHeader(HttpForwarder.RequestIdHeader, requestId);
        var original = headers[HttpForwarder.RequestIdHeader];
        if (original.Count == 1)
        {
            head.WriteHeader(HttpForwarder.OriginalRequestIdHeader, original[0]);
        }

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

    private void WriteForwarded(HttpContext context, TrustedProxies trusted)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }

        var request = context.Request;
        var host = request.Host.Value;
        if (!trusted.IsEmpty && trusted.Contains(remote))
        {
            // Only a trusted proxy's claims about earlier hops are kept; anyone else could forge them.
            var incoming = request.Headers;
            WriteHeader("X-Forwarded-For", HttpForwarder.AppendForwarded(incoming["X-Forwarded-For"], remote?.ToString() ?? "unknown"));
            WriteHeader("X-Forwarded-Proto", HttpForwarder.AppendForwarded(incoming["X-Forwarded-Proto"], request.Scheme));
            if (host is not null)
            {
                WriteHeader("X-Forwarded-Host", HttpForwarder.AppendForwarded(incoming["X-Forwarded-Host"], host));
            }

            return;
        }

        Write("X-Forwarded-For: "u8);
        if (remote is null)
        {
            Write("unknown"u8);
        }
        else
        {
            Ensure(64);
            if (!remote.TryFormat(_buffer.AsSpan(_length), out var written))
            {
                throw new InvalidOperationException("An IP address did not fit in 64 bytes.");
            }

            _length += written;
        }

        Write("\r\nX-Forwarded-Proto: "u8);
        WriteLatin1(request.Scheme);
        Write("\r\n"u8);
        if (host is not null)
        {
            WriteHeader("X-Forwarded-Host", host);
        }
    }

    private void WriteHeader(string name, string? value)
    {
        if (value is null || HeaderRules.HasUnsafeChars(value))
        {
            return;
        }

        WriteLatin1(name);
        Write(": "u8);
        WriteText(value);
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
