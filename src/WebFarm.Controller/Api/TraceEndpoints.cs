using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Trace;

namespace WebFarm.Controller.Api;

/// <summary>The merged trace (`webfarm trace`): GET /api/trace?server=&amp;filter=&amp;after=, DELETE /api/trace?server= (--clear).</summary>
internal static class TraceEndpoints
{
    public static void Map(WebApplication app, Func<HttpContext, LeaderRole> leader)
    {
        app.MapGet("/api/trace", context =>
        {
            var server = AppEndpoints.ServerQuery(context, leader(context).Agents);
            var filter = context.Request.Query["filter"].ToString();
            var after = AdminHttp.QueryLong(context, "after", 0);
            return ControllerJson.Write(context, leader(context).Trace.Query(server, filter.Length == 0 ? null : filter, after));
        });
        app.MapDelete("/api/trace", context =>
        {
            var server = AppEndpoints.ServerQuery(context, leader(context).Agents);
            return ControllerJson.Write(context, new TraceClearResult(leader(context).Trace.Clear(server)));
        });
    }
}
