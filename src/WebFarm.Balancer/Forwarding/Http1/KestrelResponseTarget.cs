using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>Delivers a server's response through Kestrel's <see cref="HttpResponse"/> (requests Kestrel parsed).</summary>
internal readonly struct KestrelResponseTarget(HttpContext context) : IHttp1ResponseTarget
{
    public bool HasStarted => context.Response.HasStarted;

    public void StartResponse(ReadOnlySpan<byte> data, in Http1ResponseHead head, Http1ConnectionPool pool, string requestId)
    {
        var response = context.Response;
        response.StatusCode = head.StatusCode;
        Http1ResponseParser.CopyHeaders(data, head, response.Headers, pool.HeaderValues);
        if (head.HasContentLength && head.StatusCode != StatusCodes.Status204NoContent)
        {
            response.ContentLength = head.ContentLength;
        }
    }

    public void Write(ReadOnlySpan<byte> body) => context.Response.BodyWriter.Write(body);

    public ValueTask<bool> FlushAsync(ExchangeCancellation exchange) => ResponseFlush.FlushAsync(context.Response.BodyWriter, exchange);

    public void AddTrailer(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        // Declared trailers go out when the response ends; HTTP/1.1 responses through Kestrel cannot carry them.
        if (context.Response.SupportsTrailers())
        {
            context.Response.AppendTrailer(Http1ResponseParser.NameString(name), Encoding.Latin1.GetString(value));
        }
    }

    public ValueTask<bool> CompleteAsync(ExchangeCancellation exchange)
    {
        // A response Kestrel has not started yet goes out when the request ends, with a Content-Length for what was
        // written; once part of a body was flushed, the tail stays in its pipe until the next flush: push it now.
        return context.Response.HasStarted ? FlushAsync(exchange) : new(true);
    }

    public ValueTask WriteErrorAsync(int statusCode, string message, string requestId, bool retryAfter = false)
        => new(KestrelResponses.WriteErrorAsync(context, statusCode, message, requestId, retryAfter));

    public void Abort() => KestrelResponses.Abort(context);
}
