using WebFarm.Balancer.Forwarding.Http1;

namespace WebFarm.Balancer.Tests.Parsing;

/// <summary>
/// Tables for the upstream response-head parser (<see cref="Http1ResponseParser"/>), in the manner of Kestrel's
/// HttpParsingData: heads it accepts with what it must make of them (status, body framing, length, keep-alive, the
/// headers a Connection header names), and heads it rejects with the exact reason (the client then gets a 502).
/// </summary>
internal static class ResponseHeadParsingData
{
    /// <summary>An accepted head; <see cref="ConnectionNames"/> is the Connection value when it names other headers.</summary>
    public sealed record Accepted(string Head, int Status, Http1BodyFraming Framing, long ContentLength, bool HasContentLength, bool KeepAlive,
        string? ConnectionNames = null, bool RequestWasHead = false);

    public static readonly IReadOnlyDictionary<string, Accepted> AcceptedHeads = new Dictionary<string, Accepted>
    {
        ["content-length"] = new("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 200, Http1BodyFraming.ContentLength, 5, true, true),
        ["no-reason-phrase"] = new("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200, Http1BodyFraming.ContentLength, 0, true, true),
        ["empty-reason-phrase"] = new("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", 404, Http1BodyFraming.ContentLength, 0, true, true),
        ["reason-with-spaces"] = new("HTTP/1.1 503 Service Unavailable Now\r\nContent-Length: 0\r\n\r\n", 503, Http1BodyFraming.ContentLength, 0, true, true),
        ["no-framing-reads-until-close"] = new("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", 200, Http1BodyFraming.UntilClose, 0, false, false),
        ["chunked"] = new("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200, Http1BodyFraming.Chunked, 0, false, true),
        ["chunked-any-case"] = new("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n", 200, Http1BodyFraming.Chunked, 0, false, true),
        ["gzip-then-chunked"] = new("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 200, Http1BodyFraming.Chunked, 0, false, true),
        ["gzip-then-chunked-on-two-lines"] = new("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 200, Http1BodyFraming.Chunked, 0, false, true),
        ["chunked-not-last-reads-until-close"] = new("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 200, Http1BodyFraming.UntilClose, 0, false, false),
        ["transfer-encoding-wins-over-content-length"] = new("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 200, Http1BodyFraming.Chunked, 5, false, true),
        ["repeated-equal-content-lengths"] = new("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 200, Http1BodyFraming.ContentLength, 5, true, true),
        ["content-length-list-of-equal-values"] = new("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", 200, Http1BodyFraming.ContentLength, 5, true, true),
        ["content-length-leading-zeros"] = new("HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n", 200, Http1BodyFraming.ContentLength, 7, true, true),
        ["content-length-whitespace"] = new("HTTP/1.1 200 OK\r\nContent-Length: \t 12 \t\r\n\r\n", 200, Http1BodyFraming.ContentLength, 12, true, true),
        ["connection-close"] = new("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 200, Http1BodyFraming.ContentLength, 0, true, false),
        ["connection-close-any-case"] = new("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: Close\r\n\r\n", 200, Http1BodyFraming.ContentLength, 0, true, false),
        ["connection-names-headers"] = new("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection:  keep-alive, X-Hop \r\nX-Hop: 1\r\n\r\n", 200, Http1BodyFraming.ContentLength, 0, true, true, ConnectionNames: "keep-alive, X-Hop"),
        ["http-1.0"] = new("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", 200, Http1BodyFraming.ContentLength, 2, true, false),
        ["http-1.0-keep-alive"] = new("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n", 200, Http1BodyFraming.ContentLength, 2, true, true),
        ["no-content"] = new("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", 204, Http1BodyFraming.None, 9, true, true),
        ["not-modified"] = new("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 304, Http1BodyFraming.None, 0, false, true),
        ["interim-continue"] = new("HTTP/1.1 100 Continue\r\n\r\n", 100, Http1BodyFraming.None, 0, false, true),
        ["interim-early-hints"] = new("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", 103, Http1BodyFraming.None, 0, false, true),
        ["answer-to-head"] = new("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 200, Http1BodyFraming.None, 100, true, true, RequestWasHead: true),
        ["bare-lf-line-ends"] = new("HTTP/1.1 200 OK\nContent-Length: 3\nX-A: b\n\n", 200, Http1BodyFraming.ContentLength, 3, true, true),
        ["mixed-line-ends"] = new("HTTP/1.1 200 OK\r\nContent-Length: 3\nX-A: b\r\n\n", 200, Http1BodyFraming.ContentLength, 3, true, true),
        ["empty-value"] = new("HTTP/1.1 200 OK\r\nX-Empty:\r\nContent-Length: 1\r\n\r\n", 200, Http1BodyFraming.ContentLength, 1, true, true),
        ["status-599"] = new("HTTP/1.1 599 Custom\r\nContent-Length: 0\r\n\r\n", 599, Http1BodyFraming.ContentLength, 0, true, true),
    };

    /// <summary>Heads rejected, with the <see cref="Http1ProtocolException"/> detail each must give.</summary>
    public static readonly IReadOnlyDictionary<string, (string Head, string Error)> RejectedHeads = new Dictionary<string, (string, string)>
    {
        ["http-1.2"] = ("HTTP/1.2 200 OK\r\n\r\n", "invalid status line"),
        ["http-2"] = ("HTTP/2 200 OK\r\n\r\n", "invalid status line"),
        ["lower-case-protocol"] = ("http/1.1 200 OK\r\n\r\n", "invalid status line"),
        ["not-http"] = ("ICY 200 OK\r\n\r\n", "invalid status line"),
        ["too-short"] = ("HTTP/1.1 20\r\n\r\n", "invalid status line"),
        ["no-space-after-version"] = ("HTTP/1.1-200 OK\r\n\r\n", "invalid status line"),
        ["four-digit-status"] = ("HTTP/1.1 2000 OK\r\n\r\n", "invalid status code"),
        ["two-digit-status"] = ("HTTP/1.1 20 OK\r\n\r\n", "invalid status code"),
        ["two-spaces-before-status"] = ("HTTP/1.1  200 OK\r\n\r\n", "invalid status code"),
        ["status-starting-with-zero"] = ("HTTP/1.1 099 OK\r\n\r\n", "invalid status code"),
        ["status-letters"] = ("HTTP/1.1 abc OK\r\n\r\n", "invalid status code"),
        ["reason-without-space"] = ("HTTP/1.1 200OK\r\n\r\n", "invalid status code"),
        ["obs-fold"] = ("HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n", "obsolete line folding in a header"),
        ["obs-fold-tab"] = ("HTTP/1.1 200 OK\r\nX-A: a\r\n\tb\r\n\r\n", "obsolete line folding in a header"),
        ["space-in-name"] = ("HTTP/1.1 200 OK\r\nContent Length: 5\r\n\r\n", "malformed header line"),
        ["space-before-colon"] = ("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n", "malformed header line"),
        ["empty-name"] = ("HTTP/1.1 200 OK\r\n: v\r\n\r\n", "malformed header line"),
        ["no-colon"] = ("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "malformed header line"),
        ["content-length-letters"] = ("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "invalid Content-Length"),
        ["content-length-negative"] = ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
        ["content-length-plus"] = ("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", "invalid Content-Length"),
        ["content-length-empty"] = ("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "invalid Content-Length"),
        ["content-length-empty-list-item"] = ("HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n", "invalid Content-Length"),
        ["content-length-inner-space"] = ("HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\n", "invalid Content-Length"),
        ["content-length-overflow"] = ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "invalid Content-Length"),
        ["content-lengths-conflicting-in-a-list"] = ("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "conflicting Content-Length values"),
        ["content-lengths-conflicting-on-two-lines"] = ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "conflicting Content-Length values"),
        ["switching-protocols"] = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "101 Switching Protocols to a request that asked for no upgrade"),
    };

    public static TheoryData<string> AcceptedNames => [.. AcceptedHeads.Keys];

    public static TheoryData<string> RejectedNames => [.. RejectedHeads.Keys];
}
