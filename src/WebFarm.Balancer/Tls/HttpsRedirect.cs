using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using WebFarm.Balancer.Forwarding;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// The answer of an http listener with RedirectToHttps: the same host and target on https. GET and HEAD get 301 (what
/// every browser and crawler caches as "this site is https"); other methods get 308, which keeps the method and body
/// (a 301 lets clients turn a POST into a GET, RFC 9110 15.4.2).
/// </summary>
internal static class HttpsRedirect
{
    public static Task WriteAsync(HttpContext context, int httpsPort, string requestId)
    {
        var request = context.Request;
        var host = request.Host.Host;
        if (string.IsNullOrEmpty(host))
        {
            return KestrelResponses.WriteErrorAsync(context, StatusCodes.Status400BadRequest, "WebFarm: bad request: no Host header to redirect to https with", requestId, connectionClose: true);
        }

        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (target is null || target.Length == 0 || target[0] != '/')
        {
            // Absolute-form ("http://host/x") or asterisk-form targets: the path and query Kestrel parsed from them.
            target = request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
            if (target.Length == 0 || target[0] != '/')
            {
                target = "/" + target;
            }
        }

        var response = context.Response;
        var method = request.Method;
        response.StatusCode = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? StatusCodes.Status301MovedPermanently : StatusCodes.Status308PermanentRedirect;
        response.Headers.Location = httpsPort == 443
            ? "https://" + host + target
            : "https://" + host + ":" + httpsPort.ToString(CultureInfo.InvariantCulture) + target;
        response.ContentLength = 0;
        return Task.CompletedTask;
    }
}
