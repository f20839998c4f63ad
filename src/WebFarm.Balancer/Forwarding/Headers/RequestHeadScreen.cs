using System.Text;

namespace WebFarm.Balancer.Forwarding.Headers;

/// <summary>
/// The balancer's rules for a client's HTTP/1.1 request head, applied to its raw bytes (issue 13): what is refused
/// (<see cref="ForwardingFailure"/>) and the facts Kestrel's parsed view loses (it rewrites "Connection: keep-alive,
/// X-Secret" to "keep-alive" and "Content-Length: +5" to "5"). The front end serves only heads that pass these rules
/// by construction (it hands anything else to Kestrel), and the Kestrel path screens every HTTP/1.1 head it gets with
/// the bytes <see cref="FrontEnd.RawHeadTap"/> recorded.
/// </summary>
internal static class RequestHeadScreen
{
    /// <summary>
    /// Screens the header lines of <paramref name="head"/> (request line, header lines, final empty line). The request
    /// line is skipped: Kestrel decodes the path in place in the buffer the tap copies from, so its bytes are not the
    /// client's by then; its rules are checked on Kestrel's raw target (<see cref="ScreenTarget"/>).
    /// </summary>
    /// <param name="connection">The values of every Connection line, ", "-joined, as sent; null when there is none.</param>
    public static ForwardingFailure ScreenFields(ReadOnlySpan<byte> head, out string? connection)
    {
        connection = null;

        // The whole head: a decoded "%0A" in the path shows up here too, and is refused with it.
        if (HeaderSyntax.HasBareLineFeed(head))
        {
            return ForwardingFailure.BareLineFeed;
        }

        var lineEnd = head.IndexOf("\r\n"u8);

        var contentLengths = 0;
        var transferEncodings = 0;
        var rest = head[(lineEnd + 2)..];
        while (true)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            if (lineEnd <= 0)
            {
                break;
            }

            var line = rest[..lineEnd];
            rest = rest[(lineEnd + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !HeaderSyntax.IsToken(line[..colon]))
            {
                return ForwardingFailure.InvalidHeaderName;
            }

            var name = line[..colon];
            var value = HeaderSyntax.TrimWhitespace(line[(colon + 1)..]);
            if (value.ContainsAny(HeaderSyntax.InvalidValueBytes))
            {
                return ForwardingFailure.InvalidHeaderValue;
            }

            switch (name.Length)
            {
                case 10 when Ascii.EqualsIgnoreCase(name, "Connection"u8):
                    // The usual values take no string of their own.
                    var text = Ascii.EqualsIgnoreCase(value, "keep-alive"u8) ? "keep-alive"
                        : Ascii.EqualsIgnoreCase(value, "close"u8) ? "close"
                        : Encoding.Latin1.GetString(value);
                    connection = connection is null ? text : connection + ", " + text;
                    break;
                case 14 when Ascii.EqualsIgnoreCase(name, "Content-Length"u8):
                    if (++contentLengths > 1 || value.IsEmpty || value.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
                    {
                        return ForwardingFailure.InvalidContentLength;
                    }

                    break;
                case 17 when Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8):
                    if (++transferEncodings > 1 || !Ascii.EqualsIgnoreCase(value, "chunked"u8))
                    {
                        return ForwardingFailure.UnsupportedTransferEncoding;
                    }

                    break;
            }
        }

        return contentLengths > 0 && transferEncodings > 0 ? ForwardingFailure.AmbiguousFraming : ForwardingFailure.None;
    }


    /// <summary>CONNECT, a fragment and anything but visible ASCII in the request-target are refused (the target as the client sent it).</summary>
    public static ForwardingFailure ScreenTarget(string method, string? rawTarget)
    {
        if (method == "CONNECT")
        {
            return ForwardingFailure.ConnectNotAllowed;
        }

        if (rawTarget is null)
        {
            return ForwardingFailure.None;
        }

        // Kestrel lets a bare CR (and other controls) through in the target; written upstream it would end the
        // request line early for a lenient server. A target is visible ASCII only (RFC 9112 3.2).
        if (rawTarget.AsSpan().ContainsAnyExceptInRange('!', '~'))
        {
            return ForwardingFailure.InvalidRequestLine;
        }

        return rawTarget.Contains('#') ? ForwardingFailure.FragmentInTarget : ForwardingFailure.None;
    }
}
