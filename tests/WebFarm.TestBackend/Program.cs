using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// A small web server run as a separate process by the resilience tests and bench/failover, so that a backend can
// really be killed (SIGKILL), frozen (SIGSTOP: the kernel still accepts connections, nobody answers) or made sick.
//
//   WebFarm.TestBackend --name web1 [--port 0] [--bind 127.0.0.1] [--detached true] [--unhealthy-on web2]
//
// Prints "LISTENING http://127.0.0.1:PORT" once it accepts connections. Exits when its standard input closes, so a
// crashed test run leaves no orphans; with --detached true (scripts) it runs until killed. Endpoints:
//   GET  /health                 -> the health status (200 "ok" by default; 503 when --name is --unhealthy-on's, so
//                                   one app definition run by every server of a farm fails on that one)
//   GET  /control/requests       -> how many requests of every other page it answered (its own count, not the balancer's)
//   POST /control/health/{code}  -> sets the health status
//   POST /control/pages/{code}   -> sets the status of every other page
//   POST /control/delay/{ms}     -> delays every other page
//   *    anything else           -> the page status, body = the name, header X-Backend = the name
var name = "backend";
var port = 0;
var bind = IPAddress.Loopback; // Another address only inside a test's own network namespace (the controller tests).
var detached = false;
string? unhealthyOn = null;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--name":
            name = args[i + 1];
            break;
        case "--port":
            port = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--bind":
            bind = IPAddress.Parse(args[i + 1]);
            break;
        case "--detached":
            detached = bool.Parse(args[i + 1]);
            break;
        case "--unhealthy-on":
            unhealthyOn = args[i + 1];
            break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]} (use --name NAME --port PORT --bind ADDRESS --detached true|false --unhealthy-on NAME)");
            return 2;
    }
}

var healthStatus = name == unhealthyOn ? 503 : 200;
var pageStatus = 200;
var pageRequests = 0;
var delayMs = 0;

var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
builder.WebHost.UseKestrelCore();
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    k.Listen(bind, port);
});
var app = builder.Build();
app.Run(async context =>
{
    var path = context.Request.Path.Value ?? "/";
    context.Response.Headers["X-Backend"] = name;
    if (path == "/health")
    {
        context.Response.StatusCode = Volatile.Read(ref healthStatus);
        await context.Response.WriteAsync("ok");
        return;
    }

    if (path == "/control/requests")
    {
        await context.Response.WriteAsync(Volatile.Read(ref pageRequests).ToString(CultureInfo.InvariantCulture));
        return;
    }

    if (HttpMethods.IsPost(context.Request.Method) && path.StartsWith("/control/", StringComparison.Ordinal))
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 3 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            switch (parts[1])
            {
                case "health":
                    Volatile.Write(ref healthStatus, value);
                    return;
                case "pages":
                    Volatile.Write(ref pageStatus, value);
                    return;
                case "delay":
                    Volatile.Write(ref delayMs, value);
                    return;
            }
        }

        context.Response.StatusCode = 404;
        return;
    }

    Interlocked.Increment(ref pageRequests);
    var delay = Volatile.Read(ref delayMs);
    if (delay > 0)
    {
        await Task.Delay(delay, context.RequestAborted);
    }

    context.Response.StatusCode = Volatile.Read(ref pageStatus);
    await context.Response.WriteAsync(name);
});

await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine("LISTENING " + address);
Console.Out.Flush();

if (detached)
{
    await Task.Delay(Timeout.Infinite);
}

// Stay up until the parent closes our standard input (or dies).
await Task.Run(() =>
{
    try
    {
        while (Console.In.Read() >= 0)
        {
        }
    }
    catch (IOException)
    {
    }
});
await app.StopAsync();
return 0;
