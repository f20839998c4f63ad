using System.Net;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Affinity;

/// <summary>A request Kestrel parsed, as affinity sees it.</summary>
public readonly struct HttpContextAffinityClient(HttpContext context) : IAffinityClient
{
    public IPAddress? RemoteAddress => context.Connection.RemoteIpAddress;

    public bool IsHttps => context.Request.IsHttps;

    public int CopyCookie(string name, Span<char> destination)
    {
        // HTTP/2 clients may split cookies over several header fields.
        foreach (var header in context.Request.Headers.Cookie)
        {
            var length = CookieHeader.Find(header.AsSpan(), name, destination);
            if (length >= 0)
            {
                return length;
            }
        }

        return -1;
    }

    public void SetAffinityCookie(string setCookie)
    {
        // Called before the server's response is copied, so the only Set-Cookie present is one this request set
        // for an attempt that failed: the binding to the server that answers replaces it.
        context.Response.Headers.SetCookie = setCookie;
    }
}
