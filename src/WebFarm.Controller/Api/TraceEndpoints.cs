using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Trace;

namespace WebFarm.Controller.Api;

/// <summary>The merged trace (`webfarm trace`): GET /api/trace?server=&amp;filter=&amp;after=, DELETE /api/trace?server= (--clear).</summary>
internal static class TraceEndpoints
{
    public static void Map(WebApplication app, AgentRegistry registry, TraceStore trace)
    {
        app.MapGet("/api/trace", context =>
        {
            var server = AppEndpoints.ServerQuery(context, registry);
            var filter = context.Request.Query["filter"].ToString();
            var after = AdminHttp.QueryLong(context, "after", 0);
            return AdminHttp.WriteJson(context, trace.Query(server, filter.Length == 0 ? null : filter, after));
        });
        app.MapDelete("/api/trace", context =>
        {
            var server = AppEndpoints.ServerQuery(context, registry);
            return AdminHttp.WriteJson(context, new { cleared = trace.Clear(server) });
        });
    }
}
