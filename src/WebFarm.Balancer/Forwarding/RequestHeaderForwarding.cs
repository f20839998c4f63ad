using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// The one set of rules for which client headers go upstream, shared by both upstream paths so they cannot drift:
/// hop-by-hop headers and those the client's Connection header names stay behind ("TE: trailers" and, for upgrades,
/// Upgrade excepted), values with CR/LF/NUL are dropped, split HTTP/2 cookies are joined, and the headers the balancer
/// sets itself (Host, Content-Length, X-Forwarded-*, X-Request-Id; X-Real-IP and Forwarded unless the client is a
/// trusted proxy) are left to the caller and <see cref="AddForwarded"/>. The name rules are <see cref="HeaderNames"/>'s.
/// Generic over a struct sink so the hot path makes no delegate or boxing.
/// </summary>
internal static class RequestHeaderForwarding
{
    /// <summary>Copies the client's end-to-end headers; returns whether the client sent a Content-Length.</summary>
    public static bool CopyClientHeaders<TSink>(HttpContext context, TrustedProxies trusted, bool upgrade, ref TSink sink)
        where TSink : struct, IRequestHeaderSink
    {
        var headers = context.Request.Headers;

        // Kestrel keeps only keep-alive/close of an HTTP/1.1 Connection header; the raw head has every name it lists.
        var connection = context.Features.Get<FrontEnd.RawHeadTap>()?.Connection
            ?? (headers.Connection.Count > 0 ? headers.Connection.ToString() : null);
        var trustedClient = IsTrustedClient(context, trusted);
        var contentLength = false;
        foreach (var header in headers)
        {
            var name = header.Key;
            if (HeaderNames.IsHopByHop(name))
            {
                // "TE: trailers" says we relay trailers (an HTTP/2 server such as gRPC needs it); other TE values are hop-by-hop.
                if (name.Length == 2 && HeaderNames.ListContains(header.Value.ToString(), "trailers"))
                {
                    sink.Add("TE", "trailers");
                }
                else if (upgrade && name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    AddValues(ref sink, name, header.Value);
                }

                continue;
            }

            if ((connection is not null && HeaderNames.ListContains(connection, name)) || HeaderNames.IsSetByForwarder(name, trustedClient))
            {
                continue;
            }

            if (name.Length == 14 && name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = true;
                continue;
            }

            if (name.Length == 6 && header.Value.Count > 1 && name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                // HTTP/2 clients may split cookies over several fields; HTTP/1.1 servers expect one "; "-joined line.
                AddValues(ref sink, "Cookie", string.Join("; ", header.Value.ToArray()));
                continue;
            }

            AddValues(ref sink, name, header.Value);
        }

        return contentLength;
    }

    /// <summary>
    /// X-Forwarded-For, -Proto and -Host (a trusted proxy's values kept and appended to, anyone else's replaced),
    /// X-Request-Id, and the client's own request id as X-Original-Request-Id.
    /// </summary>
    public static void AddForwarded<TSink>(HttpContext context, TrustedProxies trusted, string requestId, ref TSink sink)
        where TSink : struct, IRequestHeaderSink
    {
        var remote = ClientAddress(context);
        var request = context.Request;
        var scheme = request.Scheme;
        var host = request.Host.Value;
        var incoming = request.Headers;
        if (!trusted.IsEmpty && trusted.Contains(remote))
        {
            // Only a trusted proxy's claims about earlier hops are kept; anyone else could forge them.
            sink.AddForwardedFor(remote, AppendForwarded(incoming["X-Forwarded-For"], remote?.ToString() ?? "unknown"));
            scheme = AppendForwarded(incoming["X-Forwarded-Proto"], scheme);
            host = host is null ? null : AppendForwarded(incoming["X-Forwarded-Host"], host);
        }
        else
        {
            sink.AddForwardedFor(remote, null);
        }

        sink.Add("X-Forwarded-Proto", scheme);
        if (host is not null && !HeaderSyntax.HasUnsafeChars(host))
        {
            sink.Add("X-Forwarded-Host", host);
        }

        sink.Add(RequestIds.Header, requestId);
        var original = incoming[RequestIds.Header];
        if (original.Count == 1 && !HeaderSyntax.HasUnsafeChars(original[0]))
        {
            sink.Add(RequestIds.OriginalHeader, original[0]!);
        }
    }

    private static IPAddress? ClientAddress(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        return remote is { IsIPv4MappedToIPv6: true } ? remote.MapToIPv4() : remote;
    }

    private static bool IsTrustedClient(HttpContext context, TrustedProxies trusted) => !trusted.IsEmpty && trusted.Contains(ClientAddress(context));

    private static void AddValues<TSink>(ref TSink sink, string name, StringValues values)
        where TSink : struct, IRequestHeaderSink
    {
        foreach (var value in values)
        {
            if (value is not null && !HeaderSyntax.HasUnsafeChars(value))
            {
                sink.Add(name, value);
            }
        }
    }

    private static string AppendForwarded(StringValues previous, string value)
    {
        if (previous.Count == 0)
        {
            return value;
        }

        var joined = previous.Count == 1 ? previous[0]! : string.Join(", ", previous.ToArray());
        return HeaderSyntax.HasUnsafeChars(joined) || joined.Length == 0 ? value : joined + ", " + value;
    }
}
