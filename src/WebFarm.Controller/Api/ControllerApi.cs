using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebFarm.Agent.Control;
using WebFarm.Agent.Releases;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Dashboard;
using WebFarm.Balancer.Hosting;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Dashboard;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Leadership;
using WebFarm.Controller.Releases;

namespace WebFarm.Controller.Api;

/// <summary>
/// The controller API, JSON under /api. Operator endpoints need the bearer token when one is set (the balancer
/// admin API's check); the agent endpoints authenticate the agent instead: join by its one-time token, heartbeat
/// by its credential. Bad input gets 400 {"error": "field: why"}; refusals 401/409 with the reason. Only the leader
/// answers them: a standby answers every call but GET /api/controller with 503, its role and the leader's URL
/// (<see cref="LeaderFollower"/>'s headers, and in the body), which agents and the CLI follow.
/// </summary>
internal static class ControllerApi
{
    private const int MaxBodyBytes = 64 * 1024;

    public static WebApplication Build(string listen, string? token, ControllerHost host, ILoggerFactory loggerFactory)
    {
        var rotation = host.Rotation;
        var app = AdminHttp.CreateApp(listen, MaxBodyBytes, loggerFactory);
        // The balancer admin API's access rules, for the operator API and the dashboard alike; agents authenticate themselves.
        var access = new AdminAccess(token is null ? null : new AdminTokenCheck(token), new DashboardSessions(), new LoginThrottle(), "Authorization: Bearer <token>, or --token / $WEBFARM_TOKEN");
        var logger = loggerFactory.CreateLogger("WebFarm.Controller");
        app.Use(async (context, next) =>
        {
            if (!IsAgentEndpoint(context.Request.Path) && !await access.AllowAsync(context))
            {
                return;
            }

            if (!context.Request.Path.Equals(StatusPath, StringComparison.Ordinal) && !ControllerDashboard.ServedByStandby(context.Request.Path))
            {
                // Taken once per call: a step-down during the call does not swap the registry under it.
                if (host.Role is not { } role)
                {
                    await WriteStandby(context, host.Leadership);
                    return;
                }

                context.Items[typeof(LeaderRole)] = role;
            }

            try
            {
                await next(context);
            }
            catch (AgentRefusal ex)
            {
                // The agent prints the same message; the operator sees here who was refused.
                logger.LogWarning("Refused {Method} {Path} from {Remote} ({Status}): {Reason}", context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress, ex.StatusCode, ex.Message);
                await (ex.StatusCode == StatusCodes.Status401Unauthorized
                    ? AdminHttp.WriteUnauthorized(context, ex.Message)
                    : AdminHttp.WriteError(context, ex.StatusCode, ex.Message));
            }
            catch (TreeRefusedException ex)
            {
                await AdminHttp.WriteError(context, StatusCodes.Status400BadRequest, ex.Message);
            }
            catch (Exception ex) when (AdminApi.FarmErrorStatus(ex) is { } status)
            {
                await AdminHttp.WriteError(context, status, ex.Message);
            }
            catch (ApiException ex)
            {
                await AdminHttp.WriteError(context, ex.StatusCode, ex.Message);
            }
            catch (AdminRequestException ex)
            {
                await AdminHttp.WriteError(context, StatusCodes.Status400BadRequest, ex.Message);
            }
            catch (BadHttpRequestException ex)
            {
                await AdminHttp.WriteError(context, ex.StatusCode, ex.Message);
            }
        });
        app.UseRouting();

        app.MapGet(StatusPath, context =>
        {
            var view = host.Leadership;
            return ControllerJson.Write(context, new ControllerStatus(view.IsLeader ? "leader" : "standby", host.Url.ToString(), view.LeaderUrl, view.Detail));
        });
        app.MapPost("/api/agents/tokens", async context =>
        {
            var (joinToken, expires) = await Registry(context).CreateJoinTokenAsync(context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status201Created;
            await ControllerJson.Write(context, new JoinTokenResult(joinToken, expires));
        });
        app.MapPost("/api/agents/join", async context =>
        {
            using var body = await AdminHttp.ReadBody(context);
            var joined = await Registry(context).JoinAsync(JoinRequestReader.Read(body.RootElement), context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status201Created;
            await ControllerJson.Write(context, joined);
        });
        app.MapPost("/api/agents/heartbeat", async context =>
        {
            var credential = AdminTokenCheck.PresentedToken(context.Request);
            using var body = await AdminHttp.ReadBody(context);
            var heartbeat = Read<HeartbeatRequest>(body, "a heartbeat");

            if (heartbeat?.Load is null)
            {
                throw new AdminRequestException("load: is required, like {\"load\": {\"cpuPercent\": 12.5, ...}}");
            }

            var local = context.Connection.LocalIpAddress;
            var trustedProxies = local is null ? "127.0.0.1" : (local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local).ToString();
            await ControllerJson.Write(context, await Registry(context).HeartbeatAsync(credential, heartbeat, trustedProxies, context.RequestAborted));
        });
        app.MapGet("/api/availability", context => AvailabilityEndpoint.HandleAsync(context, host));
        ReleaseApi.Map(app, host.Releases, Registry);
        app.MapGet("/api/agents", context => ControllerJson.Write(context, Registry(context).List()));
        app.MapGet("/api/events", context => AdminHttp.WriteEvents(context, rotation.Runtime.Events));
        app.MapGet("/api/balancers", context =>
        {
            var list = new List<Rotation.BalancerStatus>(rotation.Balancers.Count);
            foreach (var balancer in rotation.Balancers)
            {
                list.Add(balancer.Status);
            }

            return ControllerJson.Write(context, list);
        });
        app.MapGet("/api/events/stream", context => AdminApi.StreamEvents(context, rotation.Runtime, app.Lifetime.ApplicationStopping));
        AdminApi.MapFarms(app, rotation.Runtime); // `webfarm servers --controller`: the same endpoints as a balancer's admin API.
        AppEndpoints.Map(app, Leader);
        DeploymentEndpoints.Map(app, Leader);
        StageEndpoints.Map(app, Leader);
        TraceEndpoints.Map(app, Leader);
        RunEndpoint.Map(app, Leader);
        ControllerDashboard.Map(app, host, access);
        app.MapFallback(context => AdminHttp.WriteError(context, StatusCodes.Status404NotFound, $"no controller endpoint {context.Request.Method} {context.Request.Path}"));
        return app;
    }

    /// <summary>Who leads; answered by a standby too (for operators, tests and `webfarm agents list`'s header).</summary>
    private const string StatusPath = "/api/controller";

    private static LeaderRole Leader(HttpContext context) => (LeaderRole)context.Items[typeof(LeaderRole)]!;

    private static AgentRegistry Registry(HttpContext context) => Leader(context).Agents;

    private static Task WriteStandby(HttpContext context, LeaderView view)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers[LeaderFollower.RoleHeader] = LeaderFollower.StandbyRole;
        context.Response.Headers.RetryAfter = "1";
        if (view.LeaderUrl is { } leader)
        {
            context.Response.Headers[LeaderFollower.LeaderHeader] = leader;
        }

        var error = view.LeaderUrl is { } url
            ? $"this controller is the standby; the leader is {url}: send API calls there (or give both to --controller URL,URL)"
            : $"this controller is not leading and knows no leader at this moment ({view.Detail}); retry shortly";
        return ControllerJson.Write(context, new StandbyError(error, LeaderFollower.StandbyRole, view.LeaderUrl));
    }

    /// <summary>An agent protocol record from a request body; a body that is not one → 400 "body: not WHAT (why)".</summary>
    internal static T? Read<T>(JsonDocument body, string what)
    {
        try
        {
            return ControllerJson.Deserialize<T>(body.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new AdminRequestException($"body: not {what} ({ex.Message})");
        }
    }

    private static bool IsAgentEndpoint(PathString path)
        => path.Equals("/api/agents/join", StringComparison.Ordinal) || path.Equals("/api/agents/heartbeat", StringComparison.Ordinal) || ReleaseApi.IsAgentEndpoint(path);
}
