using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Hosting;

namespace WebFarm.Controller.Api;

/// <summary>The apps API (`webfarm apps`, `webfarm ps`): add, list, remove, rolling restart, and the instances.</summary>
internal static class AppEndpoints
{
    public static void Map(WebApplication app, Func<HttpContext, LeaderRole> leader)
    {
        app.MapGet("/api/apps", context => ControllerJson.Write(context, Shown(context) ? leader(context).Apps.Apps : EnvironmentRedaction.Redact(leader(context).Apps.Apps)));
        app.MapPost("/api/apps", async context =>
        {
            var show = Shown(context); // Checked first: a bad ?showSecrets= must not add the app and then fail.
            using var body = await AdminHttp.ReadBody(context);
            var added = await leader(context).Apps.AddAsync(AppDefinitionReader.Read(body.RootElement), leader(context).Agents.Names, context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status201Created;
            context.Response.Headers.Location = $"/api/apps/{added.Name}";
            await ControllerJson.Write(context, show ? added : EnvironmentRedaction.Redact(added));
        });
        app.MapGet("/api/apps/{name}", context =>
        {
            var found = leader(context).Apps.Get(Route(context, "name"));
            return ControllerJson.Write(context, Shown(context) ? found : EnvironmentRedaction.Redact(found));
        });
        app.MapDelete("/api/apps/{name}", async context =>
        {
            await leader(context).Apps.RemoveAsync(Route(context, "name"), context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        app.MapPost("/api/apps/{name}/restart", async context =>
        {
            var steps = await leader(context).Restart.RunAsync(Route(context, "name"), context.RequestAborted);
            await ControllerJson.Write(context, new RestartResult(steps.TrueForAll(s => s.Outcome != "failed"), steps));
        });
        app.MapGet("/api/ps", context =>
        {
            var server = ServerQuery(context, leader(context).Agents);
            var rows = new List<ProcessInfo>();
            var now = DateTimeOffset.UtcNow;
            foreach (var name in leader(context).Agents.Names.Order(StringComparer.Ordinal))
            {
                if ((server is not null && name != server) || leader(context).Agents.Find(name) is not { } tracked)
                {
                    continue;
                }

                lock (tracked.Lock)
                {
                    foreach (var i in tracked.Instances)
                    {
                        var balanced = leader(context).Agents.Instances.Find(i.App, name);
                        // Of an app that runs releases, only the serving release's instance is in rotation (a deployment's
                        // new one is in the farm under its own entry until it takes the server's).
                        var serving = i.Release is null || leader(context).Apps.Releases.For(i.App, name)?.Serving == i.Release;
                        rows.Add(new ProcessInfo(
                            name,
                            i.App,
                            i.Port,
                            i.ProcessId,
                            tracked.State == AgentState.Lost ? "unknown (agent lost)" : i.State,
                            i.Healthy,
                            serving && tracked.InRotation.Contains(i.App),
                            i.StartedAt,
                            i.StartedAt is { } started ? Math.Round((now - started).TotalSeconds, 1) : null,
                            i.CpuPercent,
                            i.MemoryBytes,
                            balanced?.InFlight ?? 0,
                            i.Restarts,
                            i.Detail,
                            i.ProbeLatencyMs,
                            balanced is { Statistics.ResponseTimeSamples: > 0 } ? Math.Round(balanced.Statistics.ResponseTimeEwmaMs, 2) : null,
                            Math.Round(balanced?.LoadFactor ?? 1, 3),
                            Math.Round(balanced?.EffectiveWeight ?? 0, 3),
                            balanced?.Statistics.Requests ?? 0)
                        { Release = i.Release });
                    }
                }
            }

            return ControllerJson.Write(context, rows);
        });
    }

    /// <summary>The ?server= filter: null when absent; 404 when no such server has joined.</summary>
    public static string? ServerQuery(HttpContext context, AgentRegistry registry)
    {
        var server = context.Request.Query["server"].ToString();
        if (server.Length == 0)
        {
            return null;
        }

        return registry.Find(server) is not null
            ? server
            : throw new ApiException(404, $"server: no server named '{server}' has joined (servers: {(registry.Names.Count == 0 ? "none" : string.Join(", ", registry.Names.Order(StringComparer.Ordinal)))})");
    }

    /// <summary>Whether the caller asked for the apps' environment values (hidden by default: <see cref="EnvironmentRedaction"/>).</summary>
    private static bool Shown(HttpContext context) => AdminHttp.QueryBool(context, EnvironmentRedaction.ShowParameter, fallback: false);

    private static string Route(HttpContext context, string name) => (string)context.Request.RouteValues[name]!;
}
