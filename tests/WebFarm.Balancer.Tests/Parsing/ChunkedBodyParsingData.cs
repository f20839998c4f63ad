namespace WebFarm.Balancer.Tests.Parsing;

/// <summary>
/// Tables for the chunked-body decoder of the direct HTTP/1.1 upstream path (Http1Forwarder.CopyChunkedAsync), in the
/// manner of Kestrel's HttpParsingData: bodies it decodes with the exact bytes and trailers it must deliver, and bodies
/// it rejects with the exact reason. Bodies are Latin-1 strings (one char = one byte).
/// </summary>
internal static class ChunkedBodyParsingData
{
    /// <summary>
    /// A chunked body (<see cref="Input"/>, ending where the decoder must stop) and what it must deliver: the decoded
    /// <see cref="Body"/>, the <see cref="Trailers"/> it forwards ("name: value"), and <see cref="Error"/>, the
    /// detail of the <c>Http1ProtocolException</c> it must end with (null: the body is complete).
    /// </summary>
    public sealed record Row(string Input, string Body, string[] Trailers, string? Error = null);

    private static readonly string PadTrailer = "X-Pad: " + new string('p', 1000);

    public static readonly IReadOnlyDictionary<string, Row> Decoded = new Dictionary<string, Row>
    {
        ["one-chunk"] = new("5\r\nhello\r\n0\r\n\r\n", "hello", []),
        ["empty-body"] = new("0\r\n\r\n", "", []),
        ["several-chunks"] = new("5\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\n\r\n", "hello, world", []),
        ["upper-case-hex"] = new("A\r\n0123456789\r\n0\r\n\r\n", "0123456789", []),
        ["lower-case-hex"] = new("b\r\n0123456789a\r\n0\r\n\r\n", "0123456789a", []),
        ["leading-zeros"] = new("0005\r\nhello\r\n000\r\n\r\n", "hello", []),
        ["chunk-extensions-ignored"] = new("5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello", []),
        ["whitespace-before-extension"] = new("5 \t;ext\r\nhello\r\n0\r\n\r\n", "hello", []),
        ["body-bytes-that-look-like-framing"] = new("7\r\n0\r\n\r\n\r\n\r\n0\r\n\r\n", "0\r\n\r\n\r\n", []),
        ["binary-body"] = new("4\r\n\0\u00ff\r\n\r\n0\r\n\r\n", "\0\u00ff\r\n", []),
        ["bare-lf-line-ends"] = new("5\nhello\n0\n\n", "hello", []),
        ["trailers"] = new("5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Two:  2 \r\n\r\n", "hello", ["X-Checksum: abc", "X-Two: 2"]),
        ["hop-by-hop-and-framing-trailers-dropped"] = new("0\r\nConnection: close\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nX-Kept: 1\r\n\r\n", "", ["X-Kept: 1"]),
        ["trailer-with-nul-dropped"] = new("0\r\nX-Nul: a\0b\r\nX-Kept: 1\r\n\r\n", "", ["X-Kept: 1"]),
        ["large-chunk"] = new("4000\r\n" + new string('x', 0x4000) + "\r\n0\r\n\r\n", new string('x', 0x4000), []),
    };

    public static readonly IReadOnlyDictionary<string, Row> Rejected = new Dictionary<string, Row>
    {
        ["size-not-hex"] = new("x\r\n", "", [], "invalid chunk size"),
        ["size-empty"] = new("\r\nhello\r\n0\r\n\r\n", "", [], "invalid chunk size"),
        ["size-negative"] = new("-5\r\nhello\r\n0\r\n\r\n", "", [], "invalid chunk size"),
        ["size-with-0x"] = new("0x5\r\nhello\r\n0\r\n\r\n", "", [], "invalid chunk size"),
        ["size-with-leading-space"] = new(" 5\r\nhello\r\n0\r\n\r\n", "", [], "invalid chunk size"),
        ["size-with-inner-space"] = new("5 5\r\nhello\r\n0\r\n\r\n", "", [], "invalid chunk size"),
        ["size-too-large"] = new("1000000000000000\r\n", "", [], "invalid chunk size"),
        ["size-line-with-cr-inside"] = new("5\r\r\nhello\r\n0\r\n\r\n", "", [], "invalid chunk size"),
        ["bad-size-after-a-good-chunk"] = new("5\r\nhello\r\nzz\r\n", "hello", [], "invalid chunk size"),
        ["data-longer-than-size"] = new("5\r\nhello!\r\n0\r\n\r\n", "hello", [], "chunk data not followed by CRLF"),
        ["data-followed-by-two-bytes-without-lf"] = new("5\r\nhelloXY", "hello", [], "chunk data not followed by CRLF"),
        ["data-followed-by-cr-cr-lf"] = new("5\r\nhello\r\r\n0\r\n\r\n", "hello", [], "chunk data not followed by CRLF"),
        ["size-line-over-4-KiB"] = new("5;" + new string('x', 5000), "", [], "chunk size line too long"),
        ["size-line-over-4-KiB-with-its-end"] = new("5;" + new string('x', 5000) + "\r\nhello\r\n0\r\n\r\n", "", [], "chunk size line too long"),
        ["malformed-trailer"] = new("0\r\nnot a header\r\n\r\n", "", [], "malformed trailer line"),
        ["trailer-obs-fold"] = new("0\r\nX-A: 1\r\n continued\r\n\r\n", "", ["X-A: 1"], "malformed trailer line"),
        // Lines of 1009 bytes: the 65th passes 64 KiB; the 64 before it were delivered (the response is then aborted).
        ["trailers-over-64-KiB"] = new("0\r\n" + string.Concat(Enumerable.Repeat(PadTrailer + "\r\n", 70)) + "\r\n", "", [.. Enumerable.Repeat(PadTrailer, 64)], "trailers larger than 64 KiB"),
    };

    public static TheoryData<string> DecodedNames => [.. Decoded.Keys];

    public static TheoryData<string> RejectedNames => [.. Rejected.Keys];

    public static TheoryData<string> AllNames => [.. Decoded.Keys, .. Rejected.Keys];

    public static Row Get(string name) => Decoded.TryGetValue(name, out var row) ? row : Rejected[name];
}
