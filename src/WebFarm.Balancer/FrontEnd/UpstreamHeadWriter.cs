using System.Text;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Headers;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// Writes the request head a server gets for a request the front end parsed, by the rules of
/// <see cref="RequestHeaderForwarding"/> applied to raw header lines: hop-by-hop headers stay behind ("TE: trailers"
/// excepted), the headers the balancer sets (Host, X-Forwarded-*, X-Request-Id) are replaced, a trusted proxy's
/// X-Forwarded-* are appended to. The client's other lines go out byte for byte. Part of the
/// <see cref="RequestBuffers"/> a connection rents for one request.
/// </summary>
internal sealed class UpstreamHeadWriter
{
    private byte[] _buffer = new byte[1024];
    private int _length;

    /// <summary>Bytes held by the buffer (it grows with the longest head written).</summary>
    public int Capacity => _buffer.Length;

    public ReadOnlyMemory<byte> Bytes => _buffer.AsMemory(0, _length);

    public void Write(ClientRequestHead head, Http1ConnectionPool pool, CompiledRoute route, bool preserveHost, bool trusted, ReadOnlySpan<byte> clientAddress, ReadOnlySpan<byte> scheme, string requestId)
    {
        // Every part is bounded by the client's head, the pool's prefix and host, and a few fixed lines.
        var capacity = (head.Length * 2) + ((pool.PathPrefix.Length + pool.HostHeader.Length) * 3) + clientAddress.Length + 512;
        if (_buffer.Length < capacity)
        {
            _buffer = new byte[capacity];
        }

        var w = new ByteWriter(_buffer);
        w.Write(head.Method);
        w.Write((byte)' ');
        w.WriteAscii(pool.PathPrefix);
        var target = head.Target;
        if (route.StripPrefix)
        {
            // The path needs no decoding (the parser made sure), so stripping the raw bytes equals stripping the path.
            var prefix = route.PathPrefix!.Length;
            var path = target[..head.PathLength];
            w.Write(path.Length > prefix ? path[prefix..] : "/"u8);
            w.Write(target[head.PathLength..]);
        }
        else
        {
            w.Write(target);
        }

        w.Write(" HTTP/1.1\r\nHost: "u8);
        var clientHost = head.Value(head.Field(head.HostField));
        if (preserveHost)
        {
            w.Write(clientHost);
        }
        else
        {
            w.WriteAscii(pool.HostHeader);
        }

        w.Write("\r\n"u8);
        var requestIds = 0;
        var originalRequestId = -1;
        for (var i = 0; i < head.FieldCount; i++)
        {
            var field = head.Field(i);
            var name = head.Name(field);
            if (HeaderNames.IsHopByHopOrFraming(name))
            {
                if (name.Length == 2 && ListsTrailers(head.Value(field)))
                {
                    w.Write("TE: trailers\r\n"u8);
                }

                continue;
            }

            if (HeaderNames.IsSetByForwarder(name, trusted))
            {
                if (Ascii.EqualsIgnoreCase(name, "X-Request-Id"u8))
                {
                    requestIds++;
                    originalRequestId = i;
                }

                continue;
            }

            w.WriteField(name, head.Value(field));
        }

        if (head.ContentLengthZero)
        {
            w.Write("Content-Length: 0\r\n"u8);
        }

        w.Write("X-Forwarded-For: "u8);
        WriteForwarded(ref w, head, trusted, "X-Forwarded-For"u8, clientAddress);
        w.Write("\r\nX-Forwarded-Proto: "u8);
        WriteForwarded(ref w, head, trusted, "X-Forwarded-Proto"u8, scheme);
        w.Write("\r\nX-Forwarded-Host: "u8);
        WriteForwarded(ref w, head, trusted, "X-Forwarded-Host"u8, clientHost);
        w.Write("\r\nX-Request-Id: "u8);
        w.WriteAscii(requestId);
        w.Write("\r\n"u8);
        if (requestIds == 1)
        {
            w.WriteField("X-Original-Request-Id"u8, head.Value(head.Field(originalRequestId)));
        }

        w.Write("\r\n"u8);
        _length = w.Written;
    }

    /// <summary>A trusted proxy's earlier values (all lines, ", "-joined) with ours appended; anyone else's are replaced by ours.</summary>
    private static void WriteForwarded(ref ByteWriter w, ClientRequestHead head, bool trusted, scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> ours)
    {
        if (trusted)
        {
            for (var i = 0; i < head.FieldCount; i++)
            {
                var field = head.Field(i);
                if (field.ValueLength > 0 && Ascii.EqualsIgnoreCase(head.Name(field), name))
                {
                    w.Write(head.Value(field));
                    w.Write(", "u8);
                }
            }
        }

        w.Write(ours);
    }

    private static bool ListsTrailers(ReadOnlySpan<byte> value)
    {
        foreach (var range in value.Split((byte)','))
        {
            var token = HeaderSyntax.TrimWhitespace(value[range]);
            var semicolon = token.IndexOf((byte)';');
            if (Ascii.EqualsIgnoreCase((semicolon < 0 ? token : token[..semicolon]).TrimEnd(" \t"u8), "trailers"u8))
            {
                return true;
            }
        }

        return false;
    }
}
