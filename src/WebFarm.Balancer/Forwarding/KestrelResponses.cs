using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Forwarding;

/// <summary>The balancer's own answers on Kestrel's response (the front end's are <see cref="FrontEnd.ClientResponseWriter"/>).</summary>
internal static class KestrelResponses
{
    private const int Http2InternalError = 2;

    /// <summary>Answers a failure of the client's request (never counted against a server) and closes the connection.</summary>
    public static Task WriteFailureAsync(HttpContext context, ForwardingFailure failure, string requestId)
    {
        var description = ForwardingFailures.Describe(failure);

        // The body that may follow a refused head is not read: nothing after it can be trusted to be a request.
        return WriteErrorAsync(
            context,
            description.Status,
            ForwardingFailures.Message(failure),
            requestId,
            connectionClose: true,
            allow: description.Status == StatusCodes.Status405MethodNotAllowed ? ForwardingFailures.AllowedMethods : null);
    }

    public static async Task OnClientBodyErrorAsync(HttpContext context, FarmRuntime farm, Exception error, string requestId)
    {
        // A client that sent a malformed or oversized body gets Kestrel's verdict; one that left gets nothing.
        if (!context.RequestAborted.IsCancellationRequested && error is BadHttpRequestException bad && !context.Response.HasStarted)
        {
            await WriteErrorAsync(context, bad.StatusCode, $"WebFarm: bad request body ({bad.Message})", requestId).ConfigureAwait(false);
            return;
        }

        farm.Statistics.RecordClientAbort();
        context.Abort();
    }

    public static void Abort(HttpContext context)
    {
        // HTTP/2 and HTTP/3: reset just this stream; HTTP/1.1: close the connection so the client sees a truncated response.
        if (context.Features.Get<IHttpResetFeature>() is { } reset)
        {
            reset.Reset(Http2InternalError);
        }
        else
        {
            context.Abort();
        }
    }

    public static async Task WriteErrorAsync(HttpContext context, int statusCode, string message, string requestId, bool retryAfter = false, bool connectionClose = false, string? allow = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            Abort(context);
            return;
        }

        response.Clear();
        if (connectionClose)
        {
            response.Headers.Connection = "close";
        }

        if (allow is not null)
        {
            response.Headers.Allow = allow;
        }

        response.StatusCode = statusCode;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers[RequestIds.Header] = requestId;
        if (retryAfter)
        {
            response.Headers.RetryAfter = "5";
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        try
        {
            await response.WriteAsync($"{message} (request id {requestId})\n", context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left while we were telling it what went wrong.
        }
    }
}
