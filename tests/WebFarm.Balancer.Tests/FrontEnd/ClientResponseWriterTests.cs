using System.Text;
using System.Text.RegularExpressions;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.FrontEnd;
using WebFarm.Balancer.Tests.Parsing;

namespace WebFarm.Balancer.Tests.FrontEnd;

/// <summary>
/// The head a front-end client gets for a server's response, byte for byte: what the response filter drops
/// (hop-by-hop, Connection-named, framing, unsafe values), what it rewrites (line ends, padding, framing, HSTS) and what
/// it adds (X-Request-Id and Date when the server sent none, the affinity cookie, Connection: close). The writer copies
/// the kept lines in bulk when the parser found nothing that needs a line-by-line rewrite, so the table holds heads for
/// both ways, and every accepted head of <see cref="ResponseHeadParsingData"/> must come out the same either way.
/// </summary>
public sealed class ClientResponseWriterTests
{
    private const string RequestId = "rid-1";
    private const string StatusLine = "HTTP/1.1 200 OK\r\n";
    private const string Hsts = "Strict-Transport-Security: max-age=31536000\r\n";

    /// <summary>The balancer's own Date line (the front end's clock), which the expected heads write as &lt;date&gt;.</summary>
    private const string DatePattern = @"Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n";

    /// <summary>
    /// A row: the server's header lines (after "HTTP/1.1 200 OK"), the request's facts, the client's head, and whether the
    /// parser must leave the head to the line-by-line filter (<see cref="Http1ResponseLines.NeedsFilter"/>).
    /// </summary>
    public sealed record Row(string Fields, string Expected, string Status = StatusLine, bool RequestWasHead = false, bool Close = false,
        string? SetCookie = null, string Hsts = "", bool Chunked = false, bool LineByLine = false);

    public static readonly IReadOnlyDictionary<string, Row> Rows = new Dictionary<string, Row>
    {
        ["nginx-static-file"] = new(
            "Server: nginx\r\nDate: Sun, 06 Dec 2026 10:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nLast-Modified: Sun, 06 Dec 2026 09:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"x\"\r\nAccept-Ranges: bytes\r\n\r\n",
            "Server: nginx\r\nDate: Sun, 06 Dec 2026 10:00:00 GMT\r\nContent-Type: text/plain\r\nLast-Modified: Sun, 06 Dec 2026 09:00:00 GMT\r\nETag: \"x\"\r\nAccept-Ranges: bytes\r\nX-Request-Id: rid-1\r\nContent-Length: 5\r\n\r\n"),
        ["no-date-gets-the-balancers"] = new("Content-Length: 0\r\nX-A: b\r\n\r\n", "X-A: b\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n"),
        ["nothing-to-drop"] = new("X-A: b\r\n\r\n", "X-A: b\r\nX-Request-Id: rid-1\r\n<date>Transfer-Encoding: chunked\r\n\r\n", Chunked: true),
        ["adjacent-hop-by-hop-lines"] = new(
            "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\nX: y\r\n\r\n", "X: y\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 2\r\n\r\n"),
        ["every-hop-by-hop-name"] = new(
            "A: 1\r\nKeep-Alive: timeout=5\r\nB: 2\r\nTE: trailers\r\nC: 3\r\nUpgrade: h2c\r\nD: 4\r\nTrailer: X\r\nE: 5\r\nProxy-Authenticate: Basic\r\nF: 6\r\nHTTP2-Settings: x\r\nG: 7\r\nProxy-Connection: keep-alive\r\nContent-Length: 0\r\n\r\n",
            "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n", LineByLine: true),
        ["hop-by-hop-names-any-case"] = new("CONNECTION: keep-alive\r\nx: 1\r\nkeep-alive: timeout=5\r\ncontent-length: 0\r\n\r\n", "x: 1\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n"),
        ["servers-request-id-and-date-kept"] = new(
            "X-Request-Id: up-7\r\ndate: Sun, 06 Dec 2026 10:00:00 GMT\r\nContent-Length: 0\r\n\r\n", "X-Request-Id: up-7\r\ndate: Sun, 06 Dec 2026 10:00:00 GMT\r\nContent-Length: 0\r\n\r\n"),
        ["unsafe-values-dropped"] = new(
            "X-Bad: a\rb\r\nX-Nul: a\0b\r\nX-Good: ok\r\nDate: a\rb\r\nContent-Length: 0\r\n\r\n", "X-Good: ok\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n", LineByLine: true),
        ["cr-in-the-reason-phrase"] = new("Content-Length: 0\r\n\r\n", "X-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n", Status: "HTTP/1.1 200 O\rK\r\n", LineByLine: true),
        ["cr-in-a-dropped-line"] = new("Keep-Alive: a\rb\r\nX: 1\r\nContent-Length: 0\r\n\r\n", "X: 1\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n", LineByLine: true),
        ["cr-before-the-line-end"] = new("X-Bad: a\r\r\nX: 1\r\nContent-Length: 0\r\n\r\n", "X: 1\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n", LineByLine: true),
        ["bare-lf-line-ends-rewritten"] = new("Content-Length: 3\nX-A: b\n\n", "X-A: b\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 3\r\n\r\n", LineByLine: true),
        ["one-bare-lf-line-among-crlf"] = new("X-A: a\r\nX-B: b\nX-C: c\r\nContent-Length: 3\r\n\r\n", "X-A: a\r\nX-B: b\r\nX-C: c\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 3\r\n\r\n", LineByLine: true),
        ["padding-rewritten"] = new(
            "X-Pad:   v  \r\nX-Tab:\tw\r\nX-None:x\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n", "X-Pad: v\r\nX-Tab: w\r\nX-None: x\r\nX-Empty: \r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n", LineByLine: true),
        ["connection-named-headers-dropped"] = new(
            "X-Hop: 1\r\nConnection: keep-alive, X-Hop\r\nX-Keep: 2\r\nContent-Length: 0\r\n\r\n", "X-Keep: 2\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n", LineByLine: true),
        ["chunked-relayed-chunked"] = new("Transfer-Encoding: chunked\r\nX: 1\r\n\r\n", "X: 1\r\nX-Request-Id: rid-1\r\n<date>Transfer-Encoding: chunked\r\n\r\n", Chunked: true),
        ["te-and-cl-framed-by-te"] = new("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "X-Request-Id: rid-1\r\n<date>Transfer-Encoding: chunked\r\n\r\n", Chunked: true),
        ["answer-to-head-keeps-its-length"] = new("Content-Length: 100\r\n\r\n", "X-Request-Id: rid-1\r\n<date>Content-Length: 100\r\n\r\n", RequestWasHead: true),
        ["answer-to-head-chunked-gets-no-framing"] = new("Transfer-Encoding: chunked\r\n\r\n", "X-Request-Id: rid-1\r\n<date>\r\n", RequestWasHead: true),
        ["no-content-gets-no-length"] = new("Content-Length: 9\r\nX: 1\r\n\r\n", "X: 1\r\nX-Request-Id: rid-1\r\n<date>\r\n", Status: "HTTP/1.1 204 No Content\r\n"),
        ["not-modified"] = new("Transfer-Encoding: chunked\r\nETag: \"e\"\r\n\r\n", "ETag: \"e\"\r\nX-Request-Id: rid-1\r\n<date>\r\n", Status: "HTTP/1.1 304 Not Modified\r\n"),
        ["reason-phrase-is-kestrels"] = new("Content-Length: 0\r\n\r\n", "X-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n", Status: "HTTP/1.1 200 Fine Thanks\r\n"),
        ["servers-hsts-replaced-by-the-listeners"] = new(
            "Strict-Transport-Security: max-age=1\r\nX: 1\r\nContent-Length: 0\r\n\r\n", "X: 1\r\nX-Request-Id: rid-1\r\n<date>" + Hsts + "Content-Length: 0\r\n\r\n", Hsts: Hsts),
        ["servers-hsts-kept-without-a-listener-policy"] = new(
            "Strict-Transport-Security: max-age=1\r\nContent-Length: 0\r\n\r\n", "Strict-Transport-Security: max-age=1\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\n\r\n"),
        ["close-and-affinity-cookie"] = new(
            "Set-Cookie: a=1\r\nContent-Length: 0\r\n\r\n", "Set-Cookie: WFAFF=s1; path=/\r\nSet-Cookie: a=1\r\nX-Request-Id: rid-1\r\n<date>Content-Length: 0\r\nConnection: close\r\n\r\n",
            Close: true, SetCookie: "WFAFF=s1; path=/"),
    };

    public static TheoryData<string> RowNames => [.. Rows.Keys];

    [Theory]
    [MemberData(nameof(RowNames))]
    public void The_clients_head_is_the_servers_filtered_and_framed(string name)
    {
        var row = Rows[name];
        var statusLine = row.Status.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) ? StatusLine : row.Status;
        var data = Encoding.Latin1.GetBytes(row.Status + row.Fields + "body");
        Assert.True(Http1ResponseParser.TryParse(data, row.RequestWasHead, out var head));

        var (text, chunked) = Write(data, head, row.RequestWasHead, row.Close, row.SetCookie, row.Hsts);

        var expected = "^" + Regex.Escape(statusLine + row.Expected).Replace("<date>", DatePattern, StringComparison.Ordinal) + "$";
        Assert.Matches(expected, text);
        Assert.Equal(row.Chunked, chunked);
        Assert.Equal(row.LineByLine, head.Lines.NeedsFilter);
    }

    /// <summary>
    /// The bulk copy of the kept lines and the line-by-line filter write the same head, for every row here and every
    /// head the parser accepts (its table), with and without an https listener's HSTS line.
    /// </summary>
    [Theory]
    [MemberData(nameof(EveryHead))]
    public void The_bulk_copy_writes_what_the_line_by_line_filter_writes(string table, string name)
    {
        var (head, requestWasHead) = table == nameof(Rows)
            ? (Rows[name].Status + Rows[name].Fields, Rows[name].RequestWasHead)
            : (ResponseHeadParsingData.AcceptedHeads[name].Head, ResponseHeadParsingData.AcceptedHeads[name].RequestWasHead);
        var data = Encoding.Latin1.GetBytes(head + "body");
        Assert.True(Http1ResponseParser.TryParse(data, requestWasHead, out var parsed));
        var lines = parsed.Lines;
        lines.RequireFilter();
        var filtered = parsed with { Lines = lines };
        foreach (var hsts in new[] { string.Empty, Hsts })
        {
            var bulk = Write(data, parsed, requestWasHead, false, null, hsts);
            var lineByLine = Write(data, filtered, requestWasHead, false, null, hsts);
            Assert.Equal(Regex.Replace(lineByLine.Head, DatePattern, "<date>"), Regex.Replace(bulk.Head, DatePattern, "<date>"));
            Assert.Equal(lineByLine.Chunked, bulk.Chunked);
        }
    }

    public static TheoryData<string, string> EveryHead()
    {
        var heads = new TheoryData<string, string>();
        foreach (var name in Rows.Keys)
        {
            heads.Add(nameof(Rows), name);
        }

        foreach (var name in ResponseHeadParsingData.AcceptedHeads.Keys)
        {
            heads.Add(nameof(ResponseHeadParsingData.AcceptedHeads), name);
        }

        return heads;
    }

    private static (string Head, bool Chunked) Write(byte[] data, in Http1ResponseHead head, bool requestWasHead, bool close, string? setCookie, string hsts)
    {
        var hstsBytes = Encoding.ASCII.GetBytes(hsts);
        var destination = new byte[ClientResponseWriter.HeadCapacity(head.Length, RequestId, setCookie, hstsBytes)];
        var chunked = ClientResponseWriter.WriteHead(destination, out var written, data, head, requestWasHead, close, RequestId, setCookie, hstsBytes);
        return (Encoding.Latin1.GetString(destination, 0, written), chunked);
    }
}
