using System.Net;

namespace WebFarm.Balancer.Forwarding;

/// <summary>Puts forwarded headers on an HttpRequestMessage (the SocketsHttpHandler path): Content-* ones on its content.</summary>
internal readonly struct MessageHeaderSink(HttpRequestMessage request) : IRequestHeaderSink
{
    public void Add(string name, string value)
    {
        // Content-* headers belong to the content; without a body they are dropped (nothing they could describe).
        if (!request.Headers.TryAddWithoutValidation(name, value))
        {
            request.Content?.Headers.TryAddWithoutValidation(name, value);
        }
    }

    public void AddForwardedFor(IPAddress? client, string? joined) =>
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", joined ?? client?.ToString() ?? "unknown");
}
