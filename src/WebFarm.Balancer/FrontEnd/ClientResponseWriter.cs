using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Headers;
using WebFarm.Balancer.Forwarding.Http1;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// Writes what a client of the front end gets: a server's response head relayed by the rules Kestrel's path applies
/// (hop-by-hop and framing headers dropped, the balancer's framing, X-Request-Id and Date added when the server sent
/// none), and the balancer's own short error responses.
/// </summary>
internal static class ClientResponseWriter
{
    private const int MaxStatus = 600;

    // "HTTP/1.1 200 OK\r\n" per status code, made on first use (a benign race at worst makes one twice).
    private static readonly byte[]?[] StatusLines = new byte[MaxStatus][];

    private static byte[] _dateLine = MakeDateLine(DateTimeOffset.UtcNow);

    /// <summary>Called once a second (the front end's heartbeat): responses share one formatted Date line.</summary>
    public static void UpdateDate(DateTimeOffset now) => Volatile.Write(ref _dateLine, MakeDateLine(now));

    /// <summary>Room <see cref="WriteHead"/> needs for a server's head of <paramref name="headLength"/> bytes.</summary>
    public static int HeadCapacity(int headLength, string requestId, string? setCookie, ReadOnlySpan<byte> hsts) => headLength + 256 + requestId.Length + (setCookie?.Length ?? 0) + hsts.Length;

    /// <summary>
    /// Writes the head of a server's response, with the balancer's affinity cookie (<paramref name="setCookie"/>, a
    /// whole Set-Cookie value, or null) ahead of the server's own cookies as on Kestrel's path. Returns true when the
    /// body goes out chunked (the server's body was chunked or delimited by its close; either way the client
    /// connection stays usable). <paramref name="hsts"/> is the https listener's whole Strict-Transport-Security line
    /// (empty: none), which replaces the server's own (<see cref="Tls.ListenerPolicy"/>).
    /// </summary>
    public static bool WriteHead(Span<byte> destination, out int written, ReadOnlySpan<byte> data, in Http1ResponseHead head, bool requestWasHead, bool close, string requestId, string? setCookie, ReadOnlySpan<byte> hsts)
    {
        var block = data[..head.Length];
        var w = new ByteWriter(destination);
        w.Write(StatusLine(head.StatusCode));
        if (setCookie is not null)
        {
            w.Write("Set-Cookie: "u8);
            w.WriteAscii(setCookie);
            w.Write("\r\n"u8);
        }

        var lines = head.Lines;
        bool sawDate;
        bool sawRequestId;
        if (!lines.NeedsFilter && (hsts.IsEmpty || !lines.HasStrictTransportSecurity))
        {
            // The common case: the parser found only whole lines to leave out, so the kept runs go out as they came.
            var at = lines.Start;
            for (var i = 0; i < lines.DroppedCount; i++)
            {
                w.Write(block[at..lines.DroppedStart(i)]);
                at = lines.DroppedEnd(i);
            }

            w.Write(block[at..lines.End]);
            sawDate = lines.HasDate;
            sawRequestId = lines.HasRequestId;
        }
        else
        {
            FilterLines(ref w, block, head, hsts, out sawDate, out sawRequestId);
        }

        // As on Kestrel's path, where the server's own X-Request-Id and Date replace the balancer's.
        if (!sawRequestId)
        {
            w.Write("X-Request-Id: "u8);
            w.WriteAscii(requestId);
            w.Write("\r\n"u8);
        }

        if (!sawDate)
        {
            w.Write(Volatile.Read(ref _dateLine));
        }

        w.Write(hsts);
        var chunked = false;
        if (head.HasContentLength && head.StatusCode != StatusCodes.Status204NoContent)
        {
            w.Write("Content-Length: "u8);
            w.WriteDecimal(head.ContentLength);
            w.Write("\r\n"u8);
        }
        else if (!requestWasHead && head.Framing is Http1BodyFraming.Chunked or Http1BodyFraming.UntilClose)
        {
            w.Write("Transfer-Encoding: chunked\r\n"u8);
            chunked = true;
        }

        if (close)
        {
            w.Write("Connection: close\r\n"u8);
        }

        w.Write("\r\n"u8);
        written = w.Written;
        return chunked;
    }

    /// <summary>
    /// The server's header lines one by one, for a head whose kept lines cannot go out as they came (see
    /// <see cref="Http1ResponseLines.NeedsFilter"/>): each kept line is written "name: value", with CRLF.
    /// </summary>
    private static void FilterLines(ref ByteWriter w, ReadOnlySpan<byte> block, in Http1ResponseHead head, ReadOnlySpan<byte> hsts, out bool sawDate, out bool sawRequestId)
    {
        var connection = head.ConnectionNamesHeaders ? block.Slice(head.ConnectionValueStart, head.ConnectionValueLength) : default;
        sawDate = false;
        sawRequestId = false;
        var position = head.Lines.Start;
        while (Http1ResponseParser.NextKeptLine(block, ref position, connection, out _, out var name, out var value, out var kind))
        {
            if (!hsts.IsEmpty && kind == HeaderKind.StrictTransportSecurity)
            {
                continue;
            }

            sawDate |= kind == HeaderKind.Date;
            sawRequestId |= kind == HeaderKind.RequestId;
            w.WriteField(name, value);
        }
    }

    /// <summary>One chunk of a chunked body.</summary>
    public static void WriteChunk(PipeWriter output, ReadOnlySpan<byte> data)
    {
        var span = output.GetSpan(data.Length + 12);
        var w = new ByteWriter(span);
        w.WriteHex(data.Length);
        w.Write("\r\n"u8);
        w.Write(data);
        w.Write("\r\n"u8);
        output.Advance(w.Written);
    }

    /// <summary>The balancer's own answer (no route, no server, a server that failed), worded as on Kestrel's path.</summary>
    public static void WriteError(PipeWriter output, int statusCode, string message, string requestId, bool retryAfter, bool requestWasHead, bool close, ReadOnlySpan<byte> hsts)
    {
        var body = $"{message} (request id {requestId})\n";
        var bodyLength = Encoding.UTF8.GetByteCount(body);
        var span = output.GetSpan(bodyLength + 256 + requestId.Length + hsts.Length);
        var w = new ByteWriter(span);
        w.Write(StatusLine(statusCode));
        w.Write("Content-Type: text/plain; charset=utf-8\r\nX-Request-Id: "u8);
        w.WriteAscii(requestId);
        w.Write("\r\n"u8);
        if (retryAfter)
        {
            w.Write("Retry-After: 5\r\n"u8);
        }

        w.Write(Volatile.Read(ref _dateLine));
        w.Write(hsts);
        if (close)
        {
            w.Write("Connection: close\r\n"u8);
        }

        if (requestWasHead)
        {
            w.Write("Content-Length: 0\r\n\r\n"u8);
            output.Advance(w.Written);
            return;
        }

        w.Write("Content-Length: "u8);
        w.WriteDecimal(bodyLength);
        w.Write("\r\n\r\n"u8);
        output.Advance(w.Written);
        output.Write(Encoding.UTF8.GetBytes(body));
    }

    /// <summary>
    /// The head of an answer from the response cache: the copy's rendered head, then what is this answer's own
    /// (X-Request-Id, Age, X-Cache: HIT, the front end's Date when the copy has none, Connection: close), as
    /// ResponseCacheStage writes a hit on Kestrel's path.
    /// </summary>
    public static void WriteCachedHead(PipeWriter output, CachedHead head, long age, string requestId, bool close)
    {
        var span = output.GetSpan(head.Bytes.Length + 160 + requestId.Length);
        var w = new ByteWriter(span);
        w.Write(head.Bytes);
        w.Write("X-Request-Id: "u8);
        w.WriteAscii(requestId);
        w.Write("\r\nAge: "u8);
        w.WriteDecimal(age);
        w.Write("\r\nX-Cache: HIT\r\n"u8);
        if (!head.HasDate)
        {
            w.Write(Volatile.Read(ref _dateLine));
        }

        if (close)
        {
            w.Write("Connection: close\r\n"u8);
        }

        w.Write("\r\n"u8);
        output.Advance(w.Written);
    }

    /// <summary>408 for a client that took too long to send its head; the connection closes after it.</summary>
    public static void WriteRequestTimeout(PipeWriter output)
    {
        var span = output.GetSpan(128);
        var w = new ByteWriter(span);
        w.Write(StatusLine(StatusCodes.Status408RequestTimeout));
        w.Write("Connection: close\r\nContent-Length: 0\r\n"u8);
        w.Write(Volatile.Read(ref _dateLine));
        w.Write("\r\n"u8);
        output.Advance(w.Written);
    }

    /// <summary>"HTTP/1.1 200 OK\r\n" for <paramref name="statusCode"/>, with Kestrel's reason phrase.</summary>
    internal static ReadOnlySpan<byte> StatusLine(int statusCode)
    {
        if ((uint)statusCode >= MaxStatus)
        {
            return MakeStatusLine(statusCode);
        }

        return StatusLines[statusCode] ??= MakeStatusLine(statusCode);
    }

    private static byte[] MakeStatusLine(int statusCode)
    {
        // Kestrel's wording: the standard reason phrase, whatever the server said.
        var reason = ReasonPhrases.GetReasonPhrase(statusCode);
        return Encoding.ASCII.GetBytes($"HTTP/1.1 {statusCode} {reason}\r\n");
    }

    private static byte[] MakeDateLine(DateTimeOffset now) => Encoding.ASCII.GetBytes($"Date: {now:r}\r\n");
}
