using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// What a listener does to every request besides routing it, set as a connection feature by the listener's connection
/// middleware (so Kestrel's request sees it): an http listener that redirects everything to https, or an https
/// listener that adds Strict-Transport-Security. Listeners without either carry none.
/// </summary>
internal sealed class ListenerPolicy
{
    private ListenerPolicy(int redirectPort, string? hsts)
    {
        RedirectPort = redirectPort;
        Hsts = hsts;
    }

    /// <summary>The https port a redirect names; 0: this listener does not redirect.</summary>
    public int RedirectPort { get; }

    /// <summary>The Strict-Transport-Security value; null: none.</summary>
    public string? Hsts { get; }

    /// <summary>The policy of <paramref name="endpoint"/>, or null when it has neither a redirect nor HSTS.</summary>
    public static ListenerPolicy? For(ListenEndpoint endpoint, int firstHttpsPort)
    {
        if (endpoint.RedirectToHttps)
        {
            return new ListenerPolicy(endpoint.HttpsPort ?? firstHttpsPort, hsts: null);
        }

        return endpoint.IsHttps && endpoint.Hsts is { } hsts ? new ListenerPolicy(0, hsts.HeaderValue()) : null;
    }

    /// <summary>Adds Strict-Transport-Security as the response starts, so the balancer's own answers (404, 502) carry it too.</summary>
    public void AddHsts(HttpResponse response)
        => response.OnStarting(static state => SetHsts((HttpContext)state), response.HttpContext);

    private static Task SetHsts(HttpContext context)
    {
        // The listener's policy replaces a server's own header: the operator sets it once for the whole host.
        context.Response.Headers.StrictTransportSecurity = context.Features.Get<ListenerPolicy>()!.Hsts;
        return Task.CompletedTask;
    }
}
