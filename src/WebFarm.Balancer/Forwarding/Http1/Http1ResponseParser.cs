using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// Parses a response head (RFC 9112) straight from the receive buffer. Validation is strict where leniency has
/// been exploited for response splitting or desynchronisation: obs-fold lines, conflicting Content-Length values,
/// malformed status lines and header names all make the response invalid (the client gets a 502). Lines may end
/// in CRLF or a bare LF.
/// </summary>
internal static class Http1ResponseParser
{


    // Response header names common enough to be worth not allocating a string for on every response. The first
    // CacheableNames have values that rarely change between one server's responses (see Http1HeaderValueCache).
    private static readonly string[] KnownNames =
    [
        "Date", "Server", "Content-Type", "Cache-Control", "Vary", "Accept-Ranges", "Content-Encoding", "Content-Language",
        "X-Powered-By", "X-Frame-Options", "X-Content-Type-Options", "Strict-Transport-Security", "Content-Security-Policy",
        "Referrer-Policy", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Alt-Svc", "Pragma", "Allow",
        "ETag", "Last-Modified", "Expires", "Location", "Set-Cookie", "Content-Disposition", "Content-Range", "Age", "Link",
        "Retry-After", "WWW-Authenticate", "X-Request-Id", "Trailer",
    ];

    /// <summary>The position of "Set-Cookie" in the known names.</summary>
    private static readonly int SetCookieIndex = Array.IndexOf(KnownNames, "Set-Cookie");

    /// <summary>How many of the known names (from the first) have cacheable values.</summary>
    public const int CacheableNames = 19;

    /// <summary>
    /// Parses the head at the start of <paramref name="data"/>. Returns false when more bytes are needed.
    /// </summary>
    /// <exception cref="Http1ProtocolException">The head is not a valid HTTP/1.x response head.</exception>
    public static bool TryParse(ReadOnlySpan<byte> data, bool requestWasHead, out Http1ResponseHead head)
    {
        head = default;
        var lineEnd = data.IndexOf((byte)'\n');
        if (lineEnd < 0)
        {
            return false;
        }

        var (status, minor) = ParseStatusLine(TrimCr(data[..lineEnd]));
        var position = lineEnd + 1;
        var linesEndingInCr = lineEnd > 0 && data[lineEnd - 1] == (byte)'\r' ? 1 : 0;
        long contentLength = -1;
        var chunked = false;
        var transferEncoding = false;
        var close = false;
        var keepAliveToken = false;
        var connectionStart = 0;
        var connectionLength = 0;
        var lines = new Http1ResponseLines(position);
        while (true)
        {
            var rest = data[position..];
            lineEnd = rest.IndexOf((byte)'\n');
            if (lineEnd < 0)
            {
                return false;
            }

            var line = TrimCr(rest[..lineEnd]);
            var lineStart = position;
            var endsInCr = line.Length < lineEnd;
            linesEndingInCr += endsInCr ? 1 : 0;
            position += lineEnd + 1;
            if (line.IsEmpty)
            {
                lines.End = lineStart;
                break;
            }

            if (line[0] is (byte)' ' or (byte)'\t')
            {
                throw new Http1ProtocolException("obsolete line folding in a header");
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].ContainsAnyExcept(HeaderSyntax.TokenBytes))
            {
                throw new Http1ProtocolException("malformed header line");
            }

            var name = line[..colon];
            var afterColon = line[(colon + 1)..];
            var value = HeaderSyntax.TrimWhitespace(afterColon, out var leading);
            var kind = HeaderNames.Classify(name);
            switch (kind)
            {
                case HeaderKind.ContentLength:
                    contentLength = ParseContentLength(value, contentLength);
                    break;
                case HeaderKind.TransferEncoding:
                    transferEncoding = true;

                    // Only a final "chunked" frames the body; any other final coding reads until close.
                    chunked = HeaderNames.LastListItem(value) is var last && Ascii.EqualsIgnoreCase(last, "chunked"u8);
                    break;
                case HeaderKind.Connection:
                    ReadConnection(value, ref close, ref keepAliveToken, out var namesHeaders);
                    if (namesHeaders)
                    {
                        // Names other headers: remember where, so the response filters can leave those out.
                        connectionStart = lineStart + colon + 1 + leading;
                        connectionLength = value.Length;
                    }

                    break;
            }

            // What the client's head leaves out or must rewrite, found now so its writer needs no second pass.
            if (kind >= HeaderKind.ContentLength)
            {
                lines.Drop(lineStart, position);
                continue;
            }

            // The filter writes "name: value\r\n"; a line written otherwise (bare LF, other padding) is rewritten.
            if (!endsInCr || leading != 1 || afterColon[0] != (byte)' ' || value.Length != afterColon.Length - 1)
            {
                lines.RequireFilter();
            }

            switch (kind)
            {
                case HeaderKind.Date:
                    lines.HasDate = true;
                    break;
                case HeaderKind.RequestId:
                    lines.HasRequestId = true;
                    break;
                case HeaderKind.StrictTransportSecurity:
                    lines.HasStrictTransportSecurity = true;
                    break;
            }
        }

        // The named headers may come before the Connection line that names them. And values holding CR or NUL are left
        // out (response splitting): rather than search every value, two searches of the whole head show that every CR
        // ends a line and there is no NUL, else the filter looks at each value.
        var whole = data[..position];
        if (connectionLength > 0 || whole.Count((byte)'\r') != linesEndingInCr || whole.Contains((byte)0))
        {
            lines.RequireFilter();
        }

        if (status == StatusCodes.Status101SwitchingProtocols)
        {
            throw new Http1ProtocolException("101 Switching Protocols to a request that asked for no upgrade");
        }

        Http1BodyFraming framing;
        if (requestWasHead || status is < 200 or StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
        {
            framing = Http1BodyFraming.None;
        }
        else if (transferEncoding)
        {
            framing = chunked ? Http1BodyFraming.Chunked : Http1BodyFraming.UntilClose;
        }
        else if (contentLength >= 0)
        {
            framing = Http1BodyFraming.ContentLength;
        }
        else
        {
            framing = Http1BodyFraming.UntilClose;
        }

        var keepAlive = minor == 1 ? !close : keepAliveToken && !close;
        if (framing == Http1BodyFraming.UntilClose || (transferEncoding && !chunked))
        {
            keepAlive = false;
        }

        head = new Http1ResponseHead(status, position, framing, Math.Max(contentLength, 0), contentLength >= 0 && !transferEncoding, keepAlive, connectionStart, connectionLength, lines);
        return true;
    }

    /// <summary>
    /// Reads a Connection value: close, keep-alive, and whether it names other headers (hop-by-hop too). The two
    /// one-token values servers send (nginx: "keep-alive") are matched whole before the list is split: the split
    /// searches were 0.3% of the front end's CPU per proxied request (perf, docs/benchmarks.md).
    /// </summary>
    private static void ReadConnection(ReadOnlySpan<byte> value, ref bool close, ref bool keepAlive, out bool namesHeaders)
    {
        namesHeaders = false;
        if (value.Length == 10 && Ascii.EqualsIgnoreCase(value, "keep-alive"u8))
        {
            keepAlive = true;
            return;
        }

        if (value.Length == 5 && Ascii.EqualsIgnoreCase(value, "close"u8))
        {
            close = true;
            return;
        }

        var isClose = HeaderNames.ListContains(value, "close"u8);
        var isKeepAlive = HeaderNames.ListContains(value, "keep-alive"u8);
        close |= isClose;
        keepAlive |= isKeepAlive;
        namesHeaders = value.Length > (isClose ? 5 : 0) + (isKeepAlive ? 10 : 0);
    }

    /// <summary>
    /// Copies the end-to-end headers of a head already validated by <see cref="TryParse"/> to the client's response:
    /// hop-by-hop headers, those the server's Connection header names, framing headers and values with control
    /// characters are left out. A name repeated by the server is appended, not replaced, and so is every Set-Cookie (after
    /// the affinity cookie the balancer may have set).
    /// </summary>
    public static void CopyHeaders(ReadOnlySpan<byte> data, in Http1ResponseHead head, IHeaderDictionary headers, Http1HeaderValueCache values)
    {
        var block = data[..head.Length];
        var connection = head.ConnectionNamesHeaders ? block.Slice(head.ConnectionValueStart, head.ConnectionValueLength) : default;
        var headersStart = head.Lines.Start;
        var position = headersStart;
        while (NextKeptLine(block, ref position, connection, out var lineStart, out var name, out var value, out _))
        {
            var nameString = NameString(name, out var known);
            var valueString = known < CacheableNames ? values.Get(known, value) : Encoding.Latin1.GetString(value);
            // Set-Cookie is always appended: the balancer's affinity cookie may already be there, and must stay.
            if (known == SetCookieIndex || SeenBefore(block[headersStart..lineStart], name))
            {
                headers.Append(nameString, valueString);
            }
            else
            {
                headers[nameString] = valueString;
            }
        }
    }

    /// <summary>
    /// The next end-to-end header line of a head <see cref="TryParse"/> accepted, from <paramref name="position"/> (moved
    /// past it): the one line-by-line response filter. Hop-by-hop and framing headers, those the server's Connection
    /// header names (<paramref name="connection"/>, empty when none) and values with CR or NUL are skipped. False at the
    /// empty line that ends the head.
    /// </summary>
    public static bool NextKeptLine(ReadOnlySpan<byte> block, ref int position, ReadOnlySpan<byte> connection, out int lineStart, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value, out HeaderKind kind)
    {
        while (true)
        {
            lineStart = position;
            var rest = block[position..];
            var lineEnd = rest.IndexOf((byte)'\n');
            var line = TrimCr(rest[..lineEnd]);
            position += lineEnd + 1;
            if (line.IsEmpty)
            {
                name = default;
                value = default;
                kind = default;
                return false;
            }

            var colon = line.IndexOf((byte)':');
            name = line[..colon];
            value = HeaderSyntax.TrimWhitespace(line[(colon + 1)..]);
            kind = HeaderNames.Classify(name);
            if (kind < HeaderKind.ContentLength && !HeaderSyntax.HasUnsafeBytes(value) && (connection.IsEmpty || !HeaderNames.ListContains(connection, name)))
            {
                return true;
            }
        }
    }

    public static string NameString(ReadOnlySpan<byte> name) => NameString(name, out _);

    /// <summary>The header name as a string: the shared instance for a known name (<paramref name="index"/> its position), else a new one (index int.MaxValue).</summary>
    private static string NameString(ReadOnlySpan<byte> name, out int index)
    {
        var names = KnownNames;
        for (var i = 0; i < names.Length; i++)
        {
            var known = names[i];
            if (known.Length == name.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                index = i;
                return known;
            }
        }

        index = int.MaxValue;
        return Encoding.ASCII.GetString(name);
    }

    /// <summary>Parses a trailer line ("name: value") of a chunked body; false when it is not a valid header line.</summary>
    public static bool TryParseHeaderLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        name = default;
        value = default;
        if (line.IsEmpty || line[0] is (byte)' ' or (byte)'\t')
        {
            return false;
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || line[..colon].ContainsAnyExcept(HeaderSyntax.TokenBytes))
        {
            return false;
        }

        name = line[..colon];
        value = HeaderSyntax.TrimWhitespace(line[(colon + 1)..]);
        return true;
    }

    public static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        !line.IsEmpty && line[^1] == (byte)'\r' ? line[..^1] : line;

    private static (int Status, int Minor) ParseStatusLine(ReadOnlySpan<byte> line)
    {
        // HTTP-version SP 3DIGIT [SP reason-phrase]; the reason may be empty or missing.
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[7] is not ((byte)'0' or (byte)'1') || line[8] != (byte)' ')
        {
            throw new Http1ProtocolException("invalid status line");
        }

        var code = line.Slice(9, 3);
        if (!char.IsAsciiDigit((char)code[0]) || !char.IsAsciiDigit((char)code[1]) || !char.IsAsciiDigit((char)code[2])
            || (line.Length > 12 && line[12] != (byte)' ') || code[0] == (byte)'0')
        {
            throw new Http1ProtocolException("invalid status code");
        }

        return (((code[0] - '0') * 100) + ((code[1] - '0') * 10) + (code[2] - '0'), line[7] - '0');
    }

    private static long ParseContentLength(ReadOnlySpan<byte> value, long previous)
    {
        // "Content-Length: 5, 5" and repeated equal lines are tolerated (RFC 9110 8.6); anything else is an attack or a bug.
        var result = previous;
        foreach (var range in value.Split((byte)','))
        {
            var item = HeaderSyntax.TrimWhitespace(value[range]);
            if (item.IsEmpty || item.ContainsAnyExceptInRange((byte)'0', (byte)'9') || !Utf8Parser.TryParse(item, out long length, out var consumed) || consumed != item.Length)
            {
                throw new Http1ProtocolException("invalid Content-Length");
            }

            if (result >= 0 && result != length)
            {
                throw new Http1ProtocolException("conflicting Content-Length values");
            }

            result = length;
        }

        return result;
    }

    private static bool SeenBefore(ReadOnlySpan<byte> earlierLines, ReadOnlySpan<byte> name)
    {
        while (!earlierLines.IsEmpty)
        {
            var lineEnd = earlierLines.IndexOf((byte)'\n');
            var line = lineEnd < 0 ? earlierLines : earlierLines[..lineEnd];
            earlierLines = lineEnd < 0 ? default : earlierLines[(lineEnd + 1)..];
            var colon = line.IndexOf((byte)':');
            if (colon == name.Length && Ascii.EqualsIgnoreCase(line[..colon], name))
            {
                return true;
            }
        }

        return false;
    }
}
