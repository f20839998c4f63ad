using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.Tests.Forwarding;

public sealed class HeaderRulesTests
{
    [Theory]
    [InlineData("keep-alive, X-Hop-Custom", "X-Hop-Custom", true)]
    [InlineData("keep-alive, X-Hop-Custom", "x-hop-custom", true)]
    [InlineData("close", "X-Hop-Custom", false)]
    [InlineData("X-Hop-Customer", "X-Hop-Custom", false)]
    public void Connection_lists_name_hop_by_hop_headers(string connection, string name, bool listed)
        => Assert.Equal(listed, HeaderNames.ListContains(connection, name));

    [Theory]
    [InlineData("Connection", true)]
    [InlineData("keep-alive", true)]
    [InlineData("Transfer-Encoding", true)]
    [InlineData("Upgrade", true)]
    [InlineData("Proxy-Authorization", true)]
    [InlineData("TE", true)]
    [InlineData("Content-Type", false)]
    [InlineData("X-Custom", false)]
    public void Hop_by_hop_names(string name, bool hop) => Assert.Equal(hop, HeaderNames.IsHopByHop(name));

    [Theory]
    [InlineData("plain", false)]
    [InlineData("a\r\nb", true)]
    [InlineData("a\nb", true)]
    [InlineData("a\0b", true)]
    public void Unsafe_values(string value, bool unsafeValue) => Assert.Equal(unsafeValue, HeaderSyntax.HasUnsafeChars(value));

    [Theory]
    [InlineData("HTTP2-Settings", true)]
    [InlineData("Proxy-A-Very-Long-Header-Name-Beyond-Thirty-Two", true)]
    [InlineData("X-A-Very-Long-Header-Name-Beyond-Thirty-Two-Chars", false)]
    public void Hop_by_hop_names_beyond_the_standard_list(string name, bool hop) => Assert.Equal(hop, HeaderNames.IsHopByHop(name));

    /// <summary>The one classification every header rule reads (hop-by-hop, framing, the response headers the balancer may add).</summary>
    [Theory]
    [InlineData("TE", "HopByHop")]
    [InlineData("Te", "HopByHop")]
    [InlineData("Date", "Date")]
    [InlineData("DATE", "Date")]
    [InlineData("Host", "Other")]
    [InlineData("Upgrade", "HopByHop")]
    [InlineData("Trailer", "HopByHop")]
    [InlineData("Proxy-X", "HopByHop")]
    [InlineData("Connection", "Connection")]
    [InlineData("keep-alive", "HopByHop")]
    [InlineData("User-Agent", "Other")]
    [InlineData("X-Request-Id", "RequestId")]
    [InlineData("x-request-id", "RequestId")]
    [InlineData("Proxy-Status", "HopByHop")]
    [InlineData("Content-Type", "Other")]
    [InlineData("Content-Length", "ContentLength")]
    [InlineData("HTTP2-Settings", "HopByHop")]
    [InlineData("Content-Language", "Other")]
    [InlineData("Proxy-Connection", "HopByHop")]
    [InlineData("Transfer-Encoding", "TransferEncoding")]
    [InlineData("Proxy-Authenticate", "HopByHop")]
    [InlineData("Strict-Transport-Security", "StrictTransportSecurity")]
    [InlineData("Upgrade-Insecure-Requests", "Other")]
    [InlineData("Proxy-A-Twenty-Five-Chars", "HopByHop")]
    [InlineData("Proxy", "Other")]
    [InlineData("Proxy-", "Other")]
    [InlineData("X-Custom", "Other")]
    public void Header_kinds(string name, string kind)
    {
        Assert.Equal(kind, HeaderNames.Classify(System.Text.Encoding.ASCII.GetBytes(name)).ToString());
        Assert.Equal(kind is "Connection" or "TransferEncoding" or "HopByHop", HeaderNames.IsHopByHop(name));
    }

    [Theory]
    [InlineData("X-Real-IP", false, true)]
    [InlineData("Forwarded", false, true)]
    [InlineData("X-Real-IP", true, false)]
    [InlineData("forwarded", true, false)]
    [InlineData("X-Forwarded-For", true, true)]
    [InlineData("Host", false, true)]
    [InlineData("X-Custom", false, false)]
    public void Headers_the_balancer_sets_or_drops(string name, bool trustedClient, bool setByForwarder)
    {
        Assert.Equal(setByForwarder, HeaderNames.IsSetByForwarder(name, trustedClient));
        Assert.Equal(setByForwarder, HeaderNames.IsSetByForwarder(System.Text.Encoding.ASCII.GetBytes(name), trustedClient));
    }

    /// <summary>The raw-head rules, table-driven: each head (header lines after a request line), what it is refused for.</summary>
    [Theory]
    [InlineData("Host: a\r\n", "None", null)]
    [InlineData("Host: a\r\nConnection: keep-alive\r\n", "None", "keep-alive")]
    [InlineData("Host: a\r\nConnection: keep-alive, X-Secret\r\nConnection: Y\r\n", "None", "keep-alive, X-Secret, Y")]
    [InlineData("Host: a\r\nX-Hi: caf\u00c3\u00a9\r\n", "None", null)]
    [InlineData("Host: a\r\nX(Bad: 1\r\n", "InvalidHeaderName", null)]
    [InlineData("Host: a\r\nX-D\u007fel: 1\r\n", "InvalidHeaderName", null)]
    [InlineData("Host: a\r\n: empty\r\n", "InvalidHeaderName", null)]
    [InlineData("Host: a\r\nX-Ctl: a\u0001b\r\n", "InvalidHeaderValue", null)]
    [InlineData("Host: a\nX: b\r\n", "BareLineFeed", null)]
    [InlineData("Host: a\r\nContent-Length: +5\r\n", "InvalidContentLength", null)]
    [InlineData("Host: a\r\nContent-Length: 5, 5\r\n", "InvalidContentLength", null)]
    [InlineData("Host: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n", "InvalidContentLength", null)]
    [InlineData("Host: a\r\nContent-Length: 5\r\n", "None", null)]
    [InlineData("Host: a\r\nTransfer-Encoding: chunked\r\n", "None", null)]
    [InlineData("Host: a\r\nTransfer-Encoding: Chunked\r\n", "None", null)]
    [InlineData("Host: a\r\nTransfer-Encoding: identity, chunked\r\n", "UnsupportedTransferEncoding", null)]
    [InlineData("Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "UnsupportedTransferEncoding", null)]
    [InlineData("Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n", "AmbiguousFraming", null)]
    public void Raw_head_rules(string fields, string expected, string? connection)
    {
        var head = System.Text.Encoding.Latin1.GetBytes("GET / HTTP/1.1\r\n" + System.Text.RegularExpressions.Regex.Unescape(fields) + "\r\n");
        Assert.Equal(expected, RequestHeadScreen.ScreenFields(head, out var seen).ToString());
        if (expected == nameof(ForwardingFailure.None))
        {
            Assert.Equal(connection, seen);
        }
    }

    [Theory]
    [InlineData("GET", "/a?b=c", "None")]
    [InlineData("OPTIONS", "*", "None")]
    [InlineData("CONNECT", "example.com:443", "ConnectNotAllowed")]
    [InlineData("GET", "/api#frag", "FragmentInTarget")]
    [InlineData("GET", "/a\rb", "InvalidRequestLine")]
    [InlineData("GET", "/caf\u00e9", "InvalidRequestLine")]
    public void Request_target_rules(string method, string target, string expected)
        => Assert.Equal(expected, RequestHeadScreen.ScreenTarget(method, System.Text.RegularExpressions.Regex.Unescape(target)).ToString());
}
