using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using WebFarm.AspNetCore.Hosting;

namespace WebFarm.AspNetCore.Forwarding;

/// <summary>
/// X-Forwarded-For/-Proto/-Host are honoured only when the TCP peer is a configured balancer:
/// anything else could forge a client address or make the app believe a request was HTTPS.
/// </summary>
internal sealed class ForwardedHeadersSetup(WebFarmOptions options) : IConfigureOptions<ForwardedHeadersOptions>
{
    public void Configure(ForwardedHeadersOptions forwarded)
    {
        forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;

        // One balancer hop: only the right-most X-Forwarded-For entry (written by our balancer) is used.
        forwarded.ForwardLimit = 1;
        if (options.TrustedProxies.Count == 0)
        {
            return; // ASP.NET Core's default: loopback only.
        }

        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var entry in options.TrustedProxies)
        {
            TrustedProxy.TryParse(entry, out System.Net.IPNetwork network);
            forwarded.KnownIPNetworks.Add(network);
        }
    }
}
