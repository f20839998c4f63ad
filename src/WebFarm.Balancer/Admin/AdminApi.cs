using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Dashboard;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Hosting;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// The admin API: JSON under /api (farms, servers, stats, events) and /metrics, on its own listener, and the
/// dashboard under /dashboard (<see cref="DashboardEndpoints"/>); who may do what is <see cref="AdminAccess"/>.
/// Bad input gets 400 with {"error": "..."} naming the field; unknown farms and servers get 404.
/// </summary>
internal static class AdminApi
{
    private const int MaxBodyBytes = 64 * 1024;
    private static readonly TimeSpan SseHeartbeat = TimeSpan.FromSeconds(15);

    public static WebApplication Build(string listen, string? token, BalancerRuntime runtime, ILoggerFactory loggerFactory)
    {
        var app = AdminHttp.CreateApp(listen, MaxBodyBytes, loggerFactory);
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var access = new AdminAccess(token is null ? null : new AdminTokenCheck(token), new DashboardSessions(), new LoginThrottle());
        var history = new MetricsHistory(runtime);
        lifetime.ApplicationStopping.Register(history.Dispose);
        app.Use(async (context, next) =>
        {
            if (!await access.AllowAsync(context))
            {
                return;
            }

            try
            {
                await next(context);
            }
            catch (Exception ex) when (FarmErrorStatus(ex) is { } status)
            {
                await AdminHttp.WriteError(context, status, ex.Message);
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

        MapFarms(app, runtime);

        // Liveness for keepalived's track script (docs/vip.md): answered by the same process, so a dead or frozen
        // balancer fails it; 503 once the host stops, so the virtual address moves while requests in flight drain.
        app.MapGet(AdminAccess.HealthPath, context => runtime.Stopping
            ? AdminHttp.WriteError(context, StatusCodes.Status503ServiceUnavailable, "stopping")
            : context.Response.WriteAsync("ok\n", context.RequestAborted));
        app.MapGet("/api/stats", context => AdminHttp.WriteJson(context, Snapshots(runtime)));
        app.MapGet("/api/farms/{farm}/stats", context =>
        {
            var farm = runtime.GetFarm(Route(context, "farm"));
            return AdminHttp.WriteJson(context, farm.Statistics.Snapshot(farm.Servers));
        });
        app.MapGet("/api/tcp", context => AdminHttp.WriteJson(context, runtime.TcpListeners));
        app.MapGet("/api/events", context => AdminHttp.WriteEvents(context, runtime.Events));
        app.MapGet("/api/events/stream", context => StreamEvents(context, runtime, lifetime.ApplicationStopping));
        app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = PrometheusTextWriter.ContentType;
            await context.Response.WriteAsync(PrometheusTextWriter.Write(Snapshots(runtime), runtime.FrontEnd, runtime.TcpListeners, runtime.Caches), context.RequestAborted);
        });
        CachePurgeEndpoint.Map(app, runtime.Caches);
        ControllerFarmEndpoints.Map(app, runtime);
        DashboardEndpoints.Map(app, runtime, access, history, DateTimeOffset.UtcNow);
        app.MapFallback(context => AdminHttp.WriteError(context, StatusCodes.Status404NotFound, $"no admin endpoint {context.Request.Method} {context.Request.Path}"));
        return app;
    }

    /// <summary>
    /// The farm and server endpoints (list, add, remove, online, drain, offline, weight, verify, a farm's stats), shared
    /// by the balancer's admin API and the controller's API (`webfarm servers --controller`). Their errors are mapped by
    /// <see cref="FarmErrorStatus"/>.
    /// </summary>
    public static void MapFarms(WebApplication app, BalancerRuntime runtime)
    {
        app.MapGet("/api/farms", context =>
        {
            var list = new List<FarmInfo>();
            foreach (var farm in runtime.Farms.Values)
            {
                list.Add(FarmInfo.From(farm, runtime.ControllerFarms.ContainsKey(farm.Name)));
            }

            return AdminHttp.WriteJson(context, list);
        });
        app.MapGet("/api/farms/{farm}", context =>
        {
            var farm = runtime.GetFarm(Route(context, "farm"));
            return AdminHttp.WriteJson(context, FarmInfo.From(farm, runtime.ControllerFarms.ContainsKey(farm.Name)));
        });
        app.MapGet("/api/farms/{farm}/servers", context =>
        {
            var list = new List<ServerInfo>();
            foreach (var s in runtime.GetFarm(Route(context, "farm")).Servers)
            {
                list.Add(ServerInfo.From(s));
            }

            return AdminHttp.WriteJson(context, list);
        });
        app.MapGet("/api/farms/{farm}/servers/{server}", context =>
            AdminHttp.WriteJson(context, ServerInfo.From(runtime.GetServer(Route(context, "farm"), Route(context, "server")))));
        app.MapPost("/api/farms/{farm}/servers", async context =>
        {
            var farm = runtime.GetFarm(Route(context, "farm"));
            using var body = await AdminHttp.ReadBody(context);
            var errors = new List<ConfigError>();
            var options = ConfigReader.ReadAddedServer(body.RootElement, errors, out var healthy);
            if (errors.Count > 0 || options is null)
            {
                throw new AdminRequestException(FormatFieldError(errors));
            }

            try
            {
                var server = runtime.AddServer(farm.Name, options, healthy ? null : "added with \"healthy\": false; it joins once its health check passes");
                context.Response.StatusCode = StatusCodes.Status201Created;
                context.Response.Headers.Location = $"/api/farms/{farm.Name}/servers/{server.Name}";
                await AdminHttp.WriteJson(context, ServerInfo.From(server));
            }
            catch (ArgumentException ex) when (ex is not ArgumentOutOfRangeException)
            {
                throw new AdminRequestException(ex.Message.Split(" (Parameter")[0]);
            }
        });
        app.MapDelete("/api/farms/{farm}/servers/{server}", context =>
        {
            runtime.RemoveServer(Route(context, "farm"), Route(context, "server"));
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
        app.MapPost("/api/farms/{farm}/servers/{server}/online", context => SetState(context, runtime, ServerState.Online));
        app.MapPost("/api/farms/{farm}/servers/{server}/drain", context => SetState(context, runtime, ServerState.Draining));
        app.MapPost("/api/farms/{farm}/servers/{server}/offline", context =>
        {
            var drain = context.Request.Query["drain"];
            if (drain.Count > 0 && !bool.TryParse(drain[0], out _))
            {
                throw new AdminRequestException("drain: must be true or false");
            }

            if (drain.Count > 0 && bool.Parse(drain[0]!))
            {
                return DrainThenOffline(context, runtime);
            }

            return SetState(context, runtime, ServerState.Offline);
        });
        app.MapPut("/api/farms/{farm}/servers/{server}/weight", async context =>
        {
            var server = runtime.GetServer(Route(context, "farm"), Route(context, "server"));
            using var body = await AdminHttp.ReadBody(context);
            var root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new AdminRequestException("body: expected a JSON object like {\"weight\": 3}");
            }

            JsonElement weightElement = default;
            var found = false;
            foreach (var p in root.EnumerateObject())
            {
                if (p.NameEquals("weight") || string.Equals(p.Name, "weight", StringComparison.OrdinalIgnoreCase))
                {
                    weightElement = p.Value;
                    found = true;
                }
                else
                {
                    throw new AdminRequestException($"{p.Name}: unknown field (expected only \"weight\")");
                }
            }

            if (!found)
            {
                throw new AdminRequestException("weight: is required, like {\"weight\": 3}");
            }

            if (weightElement.ValueKind != JsonValueKind.Number || !weightElement.TryGetInt32(out var weight))
            {
                throw new AdminRequestException($"weight: expected a whole number, got {weightElement.GetRawText()}");
            }

            if (!ConfigValidator.IsValidWeight(weight))
            {
                throw new AdminRequestException($"weight: {weight} is out of range (0 to 10000)");
            }

            runtime.SetWeight(server.Farm, server.Name, weight);
            await AdminHttp.WriteJson(context, ServerInfo.From(server));
        });
        app.MapPost("/api/farms/{farm}/servers/{server}/verify", async context =>
        {
            var result = await runtime.VerifyAsync(Route(context, "farm"), Route(context, "server"), context.RequestAborted);
            await AdminHttp.WriteJson(context, result);
        });
    }

    /// <summary>The status for an unknown farm or server (404) or a taken server name (409); null for other errors.</summary>
    public static int? FarmErrorStatus(Exception ex) => ex switch
    {
        FarmNotFoundException or ServerNotFoundException => StatusCodes.Status404NotFound,
        ServerConflictException => StatusCodes.Status409Conflict,
        _ => null,
    };

    private static List<FarmStatisticsSnapshot> Snapshots(BalancerRuntime runtime)
    {
        var list = new List<FarmStatisticsSnapshot>();
        foreach (var farm in runtime.Farms.Values)
        {
            list.Add(farm.Statistics.Snapshot(farm.Servers));
        }

        return list;
    }

    private static Task SetState(HttpContext context, BalancerRuntime runtime, ServerState state)
    {
        var server = runtime.GetServer(Route(context, "farm"), Route(context, "server"));
        runtime.SetState(server.Farm, server.Name, state);
        return AdminHttp.WriteJson(context, ServerInfo.From(server));
    }

    /// <summary>`offline --drain`: drain now and go offline by itself (see <see cref="BalancerRuntime.DrainThenOfflineAsync"/>).</summary>
    private static Task DrainThenOffline(HttpContext context, BalancerRuntime runtime)
    {
        var server = runtime.GetServer(Route(context, "farm"), Route(context, "server"));
        runtime.SetState(server.Farm, server.Name, ServerState.Draining);
        _ = Task.Run(async () =>
        {
            try
            {
                await runtime.DrainThenOfflineAsync(server.Farm, server.Name);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or OperationCanceledException)
            {
                // Removed or set to another state meanwhile: the operator changed their mind.
            }
        });
        return AdminHttp.WriteJson(context, ServerInfo.From(server));
    }

    /// <summary>GET /api/events/stream: server-sent events from ?since= (or Last-Event-ID, or now), until the client or the host stops.</summary>
    public static async Task StreamEvents(HttpContext context, BalancerRuntime runtime, CancellationToken stopping)
    {
        var since = AdminHttp.QueryLong(context, "since", -1);
        if (since < 0)
        {
            since = long.TryParse(context.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var last) ? last : runtime.Events.LastSequence;
        }

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(context.RequestAborted);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var events = runtime.Events.SubscribeAsync(since, cancel.Token).GetAsyncEnumerator(cancel.Token);
        var next = events.MoveNextAsync().AsTask();
        try
        {
            while (true)
            {
                // A comment line every 15 s keeps idle streams open through proxies and reveals dead clients.
                var first = await Task.WhenAny(next, Task.Delay(SseHeartbeat, cancel.Token));
                if (first != next)
                {
                    cancel.Token.ThrowIfCancellationRequested();
                    await response.WriteAsync(": keep-alive\n\n", cancel.Token);
                    await response.Body.FlushAsync(cancel.Token);
                    continue;
                }

                if (!await next)
                {
                    return;
                }

                var e = events.Current;
                var text = $"id: {e.Sequence.ToString(CultureInfo.InvariantCulture)}\nevent: {EventKindNames.ToKebabCase(e.Kind)}\ndata: {FarmEventJson.Serialize(e)}\n\n";
                await response.WriteAsync(text, cancel.Token);
                await response.Body.FlushAsync(cancel.Token);
                next = events.MoveNextAsync().AsTask();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // Client left or the balancer is stopping.
        }
        finally
        {
            // An async iterator cannot be disposed while a MoveNextAsync is pending: cancel it and let it finish first.
            await cancel.CancelAsync();
            try
            {
                await next;
            }
            catch (Exception)
            {
                // Cleanup only: the stream is over either way.
            }

            await events.DisposeAsync();
        }
    }

    /// <summary>Field errors as one line: "routes[0].Path: ...; like: ..." (the JSON path without "$.").</summary>
    internal static string FormatFieldError(List<ConfigError> errors)
    {
        if (errors.Count == 0)
        {
            return "body: not a valid server";
        }

        var sb = new StringBuilder();
        foreach (var e in errors)
        {
            if (sb.Length > 0)
            {
                sb.Append("; ");
            }

            var field = e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : "body";
            sb.Append(field).Append(": ").Append(e.Reason);
        }

        return sb.ToString();
    }

    private static string Route(HttpContext context, string name) => (string)context.Request.RouteValues[name]!;
}
