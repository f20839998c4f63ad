using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.Rewrite;

/// <summary>
/// Runs a route's rewrite rules on a request Kestrel parsed, before the request pipeline (routes with rules are
/// always served by Kestrel: <see cref="Pipeline.ServingDecision.FrontEndServes"/>). Request header edits change the
/// request's headers, which both upstream paths copy; the rewritten target is left as a feature for
/// <see cref="UpstreamTarget"/>; response header edits run just before the response's head is sent, whoever answers
/// (the server, or the balancer's own error or redirect).
/// </summary>
internal static class RequestRewriter
{
    /// <summary>The balancer's own answer (a redirect, or 400 for an unsafe header) or null when the request goes on upstream.</summary>
    public static Task? Apply(HttpContext context, CompiledRoute route, string requestId)
    {
        if (UpstreamTarget.IsAsteriskForm(context))
        {
            return null; // "OPTIONS *" names no path for a rule to match
        }

        var outcome = route.Rewrite!.Evaluate(context, UpstreamTarget.PathOf(context, route));
        if (outcome.UnsafeHeader is not null)
        {
            return KestrelResponses.WriteFailureAsync(context, ForwardingFailure.UnsafeRewrittenHeader, requestId);
        }

        if (outcome.ResponseHeaders is not null)
        {
            context.Response.OnStarting(
                static state =>
                {
                    var (outcome, response) = ((RewriteOutcome, HttpResponse))state;
                    outcome.ApplyTo(response);
                    return Task.CompletedTask;
                },
                (outcome, context.Response));
        }

        if (outcome.Location is not null)
        {
            var response = context.Response;
            response.StatusCode = outcome.RedirectStatus;
            response.Headers.Location = outcome.Location;
            response.ContentLength = 0;
            return Task.CompletedTask;
        }

        if (outcome.Target is not null)
        {
            context.Features.Set(outcome);
        }

        return null;
    }
}
