using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebFarm.Agent.Control;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Hosting;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Trace;

namespace WebFarm.Controller.Api;

/// <summary>
/// The controller API, JSON under /api. Operator endpoints need the bearer token when one is set (the balancer
/// admin API's check); the agent endpoints authenticate the agent instead: join by its one-time token, heartbeat
/// by its credential. Bad input gets 400 {"error": "field: why"}; refusals 401/409 with the reason.
/// </summary>
internal static class ControllerApi
{
    private const int MaxBodyBytes = 64 * 1024;

    public static WebApplication Build(string listen, string? token, AgentRegistry registry, FarmRotation rotation, AppCatalog apps, RollingRestart restart, TraceStore trace, ILoggerFactory loggerFactory)
    {
        var app = AdminHttp.CreateApp(listen, MaxBodyBytes, loggerFactory);
        var check = token is null ? null : new AdminTokenCheck(token);
        var logger = loggerFactory.CreateLogger("WebFarm.Controller");
        app.Use(async (context, next) =>
        {
            if (check is not null && !IsAgentEndpoint(context.Request.Path) && !check.IsAuthorized(context.Request))
            {
                await AdminHttp.WriteUnauthorized(context, "a valid bearer token is required (Authorization: Bearer <token>, or --token / $WEBFARM_TOKEN)");
                return;
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

        app.MapPost("/api/agents/tokens", async context =>
        {
            var (joinToken, expires) = await registry.CreateJoinTokenAsync(context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status201Created;
            await AdminHttp.WriteJson(context, new { token = joinToken, expires });
        });
        app.MapPost("/api/agents/join", async context =>
        {
            using var body = await AdminHttp.ReadBody(context);
            var joined = await registry.JoinAsync(JoinRequestReader.Read(body.RootElement), context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status201Created;
            await AdminHttp.WriteJson(context, joined);
        });
        app.MapPost("/api/agents/heartbeat", async context =>
        {
            var credential = AdminTokenCheck.PresentedToken(context.Request);
            using var body = await AdminHttp.ReadBody(context);
            HeartbeatRequest? heartbeat;
            try
            {
                heartbeat = body.RootElement.Deserialize<HeartbeatRequest>(ProtocolJson.Options);
            }
            catch (JsonException ex)
            {
                throw new AdminRequestException($"body: not a heartbeat ({ex.Message})");
            }

            if (heartbeat?.Load is null)
            {
                throw new AdminRequestException("load: is required, like {\"load\": {\"cpuPercent\": 12.5, ...}}");
            }

            var local = context.Connection.LocalIpAddress;
            var trustedProxies = local is null ? "127.0.0.1" : (local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local).ToString();
            await AdminHttp.WriteJson(context, await registry.HeartbeatAsync(credential, heartbeat, trustedProxies, context.RequestAborted));
        });
        app.MapGet("/api/agents", context => AdminHttp.WriteJson(context, registry.List()));
        app.MapGet("/api/events", context => AdminHttp.WriteEvents(context, rotation.Runtime.Events));
        AdminApi.MapFarms(app, rotation.Runtime); // `webfarm servers --controller`: the same endpoints as a balancer's admin API.
        AppEndpoints.Map(app, registry, apps, restart);
        TraceEndpoints.Map(app, registry, trace);
        RunEndpoint.Map(app, registry.Commands!);
        app.MapFallback(context => AdminHttp.WriteError(context, StatusCodes.Status404NotFound, $"no controller endpoint {context.Request.Method} {context.Request.Path}"));
        return app;
    }

    private static bool IsAgentEndpoint(PathString path)
        => path.Equals("/api/agents/join", StringComparison.Ordinal) || path.Equals("/api/agents/heartbeat", StringComparison.Ordinal);
}
