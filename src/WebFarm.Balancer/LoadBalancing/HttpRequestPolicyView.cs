using System.Net;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>Kestrel's parsed request as a policy reads it.</summary>
internal readonly struct HttpRequestPolicyView(HttpContext context) : IPolicyRequest
{
    public IPAddress? RemoteAddress => context.Connection.RemoteIpAddress;

    public ReadOnlySpan<char> Path => context.Request.Path.Value;

    public ReadOnlySpan<char> Query
    {
        get
        {
            var query = context.Request.QueryString.Value.AsSpan();
            return query.StartsWith('?') ? query[1..] : query;
        }
    }

    public int HeaderCount(string name) => context.Request.Headers[name].Count;

    public ReadOnlySpan<char> Header(string name, int index) => context.Request.Headers[name][index];
}
