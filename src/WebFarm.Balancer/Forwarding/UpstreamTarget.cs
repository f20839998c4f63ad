using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using WebFarm.Balancer.Rewrite;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.Forwarding;

/// <summary>The request-target a request Kestrel parsed goes upstream with (both upstream paths).</summary>
internal static class UpstreamTarget
{
    /// <summary>"OPTIONS *" (RFC 9112 3.2.4): the server as a whole, not a resource.</summary>
    public static bool IsAsteriskForm(HttpContext context) => context.Features.Get<IHttpRequestFeature>()?.RawTarget == "*";

    /// <summary>
    /// The path and query to send: the client's raw target when unchanged (exact bytes), "*" for the asterisk form,
    /// else the stripped path re-encoded.
    /// </summary>
    public static string Build(HttpContext context, CompiledRoute route)
    {
        if (IsAsteriskForm(context))
        {
            return "*";
        }

        if (route.Rewrite is not null && context.Features.Get<RewriteOutcome>() is { Target: { } rewritten })
        {
            return rewritten;
        }

        if (!route.StripPrefix)
        {
            var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
            if (raw is { Length: > 0 } && raw[0] == '/')
            {
                return raw;
            }

            return context.Request.Path.ToUriComponent() + context.Request.QueryString.Value;
        }

        return StrippedPath(context, route) + context.Request.QueryString.Value;
    }

    /// <summary>The path part of what <see cref="Build"/> sends when no rewrite rule changed it (rewrite rules keep it when they change only the query).</summary>
    public static string PathOf(HttpContext context, CompiledRoute route)
    {
        if (route.StripPrefix)
        {
            return StrippedPath(context, route);
        }

        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is { Length: > 0 } && raw[0] == '/')
        {
            var query = raw.IndexOf('?');
            return query < 0 ? raw : raw[..query];
        }

        return context.Request.Path.ToUriComponent();
    }

    private static string StrippedPath(HttpContext context, CompiledRoute route)
    {
        var path = context.Request.Path.Value ?? "/";
        var rest = path.Length > route.PathPrefix!.Length ? path[route.PathPrefix.Length..] : "/";
        return new PathString(rest).ToUriComponent();
    }
}
