using System.Buffers;
using System.Text;
using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// A client's request head as the front end reads it: copied out of the connection's input into a buffer of its own
/// (part of the <see cref="RequestBuffers"/> a connection rents for one request) and parsed strictly. Only the plainest requests are <see cref="ClientHeadStatus.Complete"/>:
/// GET, HEAD, OPTIONS or DELETE in origin form over HTTP/1.1, CRLF line ends, no body, no upgrade, no Expect, no
/// obs-fold, no control characters, one Host, a path that needs no decoding or normalisation. Anything else is a
/// hand-off: Kestrel, whose parser is the authority on what is malformed, sees the same bytes and answers.
/// </summary>
internal sealed class ClientRequestHead
{
    /// <summary>Largest head the front end takes; longer ones go to Kestrel, which applies its own limits.</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>Most header lines the front end takes (Kestrel's default limit).</summary>
    public const int MaxFields = 100;

    // pchar without '%' (a path that needs no decoding), and '/'. Query strings also take '?' and '%'.
    private static readonly SearchValues<byte> PathBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"u8);

    private static readonly SearchValues<byte> QueryBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%"u8);

    // reg-name and IPv4/IPv6 literals with a port; anything else (percent-encoding, user info) is Kestrel's to judge.
    private static readonly SearchValues<byte> HostBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:[]"u8);

    // Sized for common heads and grown on demand (up to MaxLength): most heads are well under 1 KiB.
    private byte[] _bytes = new byte[1024];
    private char[] _chars = new char[256];
    private char[] _valueChars = new char[64];
    private HeaderField[] _fields = new HeaderField[16];

    /// <summary>Bytes held by this head's buffers (they grow with the longest head parsed).</summary>
    public int Capacity => Math.Max(_bytes.Length, Math.Max(_chars.Length, _valueChars.Length) * sizeof(char));

    /// <summary>Bytes of the head, final CRLF CRLF included.</summary>
    public int Length { get; private set; }

    public int FieldCount { get; private set; }

    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, Length);

    public ReadOnlySpan<byte> Method => _bytes.AsSpan(0, MethodLength);

    public int MethodLength { get; private set; }

    /// <summary>The request target exactly as sent ("/path?query").</summary>
    public ReadOnlySpan<byte> Target => _bytes.AsSpan(MethodLength + 1, TargetLength);

    public int TargetLength { get; private set; }

    /// <summary>Length of the path part of <see cref="Target"/> (before '?').</summary>
    public int PathLength { get; private set; }

    public bool IsHead { get; private set; }

    /// <summary>The client sent "Connection: close": the connection ends after this response.</summary>
    public bool ConnectionClose { get; private set; }

    /// <summary>The client sent "Content-Length: 0" (the only length the front end takes); it goes upstream too.</summary>
    public bool ContentLengthZero { get; private set; }

    /// <summary>The Host header's field index.</summary>
    public int HostField { get; private set; }

    /// <summary>The host without its port, as characters (route matching compares strings).</summary>
    public ReadOnlySpan<char> HostName => _chars.AsSpan(0, _hostNameLength);

    /// <summary>The path as characters: no decoding needed (no '%'), no dot segments.</summary>
    public ReadOnlySpan<char> Path => _chars.AsSpan(_hostNameLength, PathLength);

    /// <summary>The query as characters, as sent, without its '?' (empty when there is none).</summary>
    public ReadOnlySpan<char> Query => PathLength < TargetLength ? _chars.AsSpan(_hostNameLength + PathLength + 1, TargetLength - PathLength - 1) : default;

    private int _hostNameLength;

    public HeaderField Field(int index) => _fields[index];

    public ReadOnlySpan<byte> Name(HeaderField field) => _bytes.AsSpan(field.NameStart, field.NameLength);

    public ReadOnlySpan<byte> Value(HeaderField field) => _bytes.AsSpan(field.ValueStart, field.ValueLength);

    /// <summary>A header value as characters, its bytes read as Latin-1 as Kestrel reads them (valid until the next call).</summary>
    public ReadOnlySpan<char> ValueChars(HeaderField field)
    {
        Reserve(ref _valueChars, field.ValueLength);
        return _valueChars.AsSpan(0, Encoding.Latin1.GetChars(Value(field), _valueChars));
    }

    /// <summary>True when exactly one <paramref name="name"/> header is present with exactly <paramref name="value"/>.</summary>
    public bool HasSingleHeader(string name, string value)
    {
        var found = -1;
        for (var i = 0; i < FieldCount; i++)
        {
            if (Ascii.EqualsIgnoreCase(Name(_fields[i]), name))
            {
                if (found >= 0)
                {
                    return false;
                }

                found = i;
            }
        }

        return found >= 0 && Ascii.Equals(Value(_fields[found]), value);
    }

    /// <summary>Looks at the start of <paramref name="input"/> for a request head.</summary>
    public ClientHeadStatus Parse(in ReadOnlySequence<byte> input)
    {
        Length = 0;
        FieldCount = 0;
        var available = (int)Math.Min(input.Length, MaxLength);
        ReadOnlySpan<byte> data;
        if (input.IsSingleSegment)
        {
            // The usual case: look for the end of the head where the bytes are, copy only the head.
            data = input.FirstSpan[..available];
        }
        else
        {
            Reserve(ref _bytes, available);
            input.Slice(0, available).CopyTo(_bytes);
            data = _bytes.AsSpan(0, available);
        }

        var end = data.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            // A head that does not fit is Kestrel's (it answers 431 or takes it), and so is one with a bare LF (it
            // may already be complete to a lenient reader); a partial one waits for more.
            if (IsNotARequestLine(data))
            {
                return ClientHeadStatus.Invalid;
            }

            return available == MaxLength || HeaderSyntax.HasBareLineFeed(data) ? ClientHeadStatus.HandOff : ClientHeadStatus.Incomplete;
        }

        Length = end + 4;
        if (input.IsSingleSegment)
        {
            Reserve(ref _bytes, Length);
            data[..Length].CopyTo(_bytes);
        }

        data = _bytes.AsSpan(0, Length);
        var lineEnd = data.IndexOf("\r\n"u8);
        if (!ParseRequestLine(data[..lineEnd]))
        {
            // The answer a first line gets when it arrives alone, so the decision does not depend on how the bytes were cut.
            return IsNotARequestLine(data) ? ClientHeadStatus.Invalid : ClientHeadStatus.HandOff;
        }

        return ParseFields(lineEnd + 2) ? ClientHeadStatus.Complete : ClientHeadStatus.HandOff;
    }

    private static void Reserve<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            array = new T[Math.Max(length, Math.Min(array.Length * 2, MaxLength))];
        }
    }

    /// <summary>
    /// The first line is complete (CRLF) and does not end in an HTTP version, " HTTP/" DIGIT "." DIGIT (empty lines
    /// before it are allowed). Other versions (HTTP/2.0) are request lines, for Kestrel to answer.
    /// </summary>
    private static bool IsNotARequestLine(ReadOnlySpan<byte> data)
    {
        while (data.StartsWith("\r\n"u8))
        {
            data = data[2..];
        }

        var lineEnd = data.IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return false;
        }

        var line = data[..lineEnd];
        return line.Length < 10 || !line[^9..^3].SequenceEqual(" HTTP/"u8) || !char.IsAsciiDigit((char)line[^3]) || line[^2] != (byte)'.'
            || !char.IsAsciiDigit((char)line[^1]);
    }


    private bool ParseRequestLine(ReadOnlySpan<byte> line)
    {
        var space = line.IndexOf((byte)' ');
        if (space <= 0)
        {
            return false;
        }

        var method = line[..space];
        IsHead = method.SequenceEqual("HEAD"u8);
        if (!IsHead && !method.SequenceEqual("GET"u8) && !method.SequenceEqual("OPTIONS"u8) && !method.SequenceEqual("DELETE"u8))
        {
            return false;
        }

        MethodLength = space;
        var rest = line[(space + 1)..];
        var targetEnd = rest.IndexOf((byte)' ');
        if (targetEnd <= 0 || !rest[(targetEnd + 1)..].SequenceEqual("HTTP/1.1"u8))
        {
            return false;
        }

        var target = rest[..targetEnd];
        if (target[0] != (byte)'/')
        {
            return false;
        }

        var question = target.IndexOf((byte)'?');
        var path = question < 0 ? target : target[..question];
        if (path.ContainsAnyExcept(PathBytes) || (question >= 0 && target[(question + 1)..].ContainsAnyExcept(QueryBytes)) || HasDotSegment(path))
        {
            return false;
        }

        TargetLength = targetEnd;
        PathLength = path.Length;
        return true;
    }

    /// <summary>"/./", "/../" or a trailing "/." or "/..": Kestrel normalises those, so the path seen by routing would differ.</summary>
    private static bool HasDotSegment(ReadOnlySpan<byte> path)
    {
        var at = 0;
        while (true)
        {
            var dot = path[at..].IndexOf("/."u8);
            if (dot < 0)
            {
                return false;
            }

            var after = path[(at + dot + 2)..];
            if (after.IsEmpty || after[0] == (byte)'/' || (after[0] == (byte)'.' && (after.Length == 1 || after[1] == (byte)'/')))
            {
                return true;
            }

            at += dot + 2;
        }
    }

    private bool ParseFields(int position)
    {
        var hosts = 0;
        var cookies = 0;
        var contentLengths = 0;
        HostField = -1;
        ConnectionClose = false;
        ContentLengthZero = false;
        while (true)
        {
            var rest = _bytes.AsSpan(position, Length - position);
            var lineEnd = rest.IndexOf("\r\n"u8);
            var line = rest[..lineEnd];
            if (line.IsEmpty)
            {
                break;
            }

            // obs-fold, a CR or LF alone, a name that is not a token or ends in whitespace: all for Kestrel to refuse.
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].ContainsAnyExcept(HeaderSyntax.TokenBytes) || FieldCount == MaxFields)
            {
                return false;
            }

            if (FieldCount == _fields.Length)
            {
                Array.Resize(ref _fields, Math.Min(_fields.Length * 2, MaxFields));
            }

            var valueStart = position + colon + 1;
            var value = HeaderSyntax.TrimWhitespace(line[(colon + 1)..], out var leading);
            if (value.ContainsAny(HeaderSyntax.InvalidValueBytes))
            {
                return false;
            }

            var field = new HeaderField(position, colon, valueStart + leading, value.Length);
            if (!Inspect(line[..colon], value, FieldCount, ref hosts, ref cookies, ref contentLengths))
            {
                return false;
            }

            _fields[FieldCount++] = field;
            position += lineEnd + 2;
        }

        if (hosts != 1)
        {
            return false;
        }

        // Host name and target as characters for route matching and the policies that read the path or query: one
        // widening copy, no strings.
        var host = Value(_fields[HostField]);
        var hostName = host[0] == (byte)'[' ? host[..(host.IndexOf((byte)']') + 1)] : host[..(host.IndexOf((byte)':') is var c and >= 0 ? c : host.Length)];
        Reserve(ref _chars, hostName.Length + TargetLength);
        if (hostName.IsEmpty || Ascii.ToUtf16(hostName, _chars, out _hostNameLength) != OperationStatus.Done)
        {
            return false;
        }

        return Ascii.ToUtf16(Target, _chars.AsSpan(_hostNameLength), out _) == OperationStatus.Done;
    }

    /// <summary>Checks the headers that decide whether the front end may serve the request.</summary>
    private bool Inspect(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int index, ref int hosts, ref int cookies, ref int contentLengths)
    {
        switch (name.Length)
        {
            case 4 when Ascii.EqualsIgnoreCase(name, "Host"u8):
                hosts++;
                HostField = index;
                var bracket = value.IndexOf((byte)']');
                return !value.IsEmpty && !value.ContainsAnyExcept(HostBytes) && (value[0] != (byte)'[' || bracket > 0)
                    && (value[0] == (byte)'[' || value.IndexOf((byte)'[') < 0);
            case 6 when Ascii.EqualsIgnoreCase(name, "Cookie"u8):
                // HTTP/1.1 clients send one Cookie line; several would have to be joined.
                return ++cookies == 1;
            case 6 when Ascii.EqualsIgnoreCase(name, "Expect"u8):
                return false;
            case 7 when Ascii.EqualsIgnoreCase(name, "Upgrade"u8):
                return false;
            case 10 when Ascii.EqualsIgnoreCase(name, "Connection"u8):
                return InspectConnection(value);
            case 14 when Ascii.EqualsIgnoreCase(name, "Content-Length"u8):
                ContentLengthZero = value.SequenceEqual("0"u8);
                return ContentLengthZero && ++contentLengths == 1;
            case 17 when Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8):
                return false;
            default:
                return true;
        }
    }

    /// <summary>Only "keep-alive" and "close" are taken: a Connection header naming other headers goes to Kestrel's path.</summary>
    private bool InspectConnection(ReadOnlySpan<byte> value)
    {
        foreach (var range in value.Split((byte)','))
        {
            var token = HeaderSyntax.TrimWhitespace(value[range]);
            if (Ascii.EqualsIgnoreCase(token, "close"u8))
            {
                ConnectionClose = true;
            }
            else if (!Ascii.EqualsIgnoreCase(token, "keep-alive"u8) && !token.IsEmpty)
            {
                return false;
            }
        }

        return true;
    }
}
