using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Commands;
using WebFarm.Controller.Hosting;

namespace WebFarm.Controller.Api;

/// <summary>
/// POST /api/run {"servers": "all" | ["web1"], "command": ["uptime"], "timeoutSeconds": 30} (`webfarm run`). The
/// answer is {"results": [...]} once every server is done; with <c>Accept: application/x-ndjson</c> it streams
/// instead: one <see cref="RunEvent"/> per line (each output line as the agents' heartbeats bring it, then each
/// server's exit), flushed as it comes. Bad input is refused before anything runs, in both forms.
/// </summary>
internal static class RunEndpoint
{
    public const string StreamMediaType = "application/x-ndjson";

    private const double MaxTimeoutSeconds = 3600;

    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public static void Map(WebApplication app, Func<HttpContext, LeaderRole> leader)
    {
        app.MapPost("/api/run", async context =>
        {
            using var body = await AdminHttp.ReadBody(context);
            var (servers, command, timeout) = Read(body.RootElement);
            if (!context.Request.Headers.Accept.ToString().Contains(StreamMediaType, StringComparison.OrdinalIgnoreCase))
            {
                var results = await leader(context).Commands.RunAsync(servers, command, timeout, context.RequestAborted);
                await ControllerJson.Write(context, new RunResults(results));
                return;
            }

            var (_, events) = leader(context).Commands.Start(servers, command, timeout, context.RequestAborted);
            context.Response.ContentType = StreamMediaType;
            await context.Response.StartAsync(context.RequestAborted);
            await foreach (var e in events.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.BodyWriter.WriteAsync(ControllerJson.SerializeToUtf8Bytes(e), context.RequestAborted);
                await context.Response.BodyWriter.WriteAsync(NewLine, context.RequestAborted);
                if (events.Count == 0)
                {
                    // Flushed whenever nothing more is waiting: a line reaches the operator as it comes.
                    await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
                }
            }
        });
    }

    private static (List<string> Servers, List<string> Command, TimeSpan Timeout) Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AdminRequestException("body: expected a JSON object like {\"servers\": \"all\", \"command\": [\"uptime\"], \"timeoutSeconds\": 30}");
        }

        List<string>? servers = null, command = null;
        double timeout = 30;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "servers":
                    servers = property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() == "all" ? [] : JsonFields.Strings(property);
                    break;
                case "command":
                    command = JsonFields.Strings(property);
                    break;
                case "timeoutSeconds":
                    if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out timeout) || timeout <= 0 || timeout > MaxTimeoutSeconds)
                    {
                        throw new AdminRequestException(string.Create(CultureInfo.InvariantCulture, $"timeoutSeconds: expected a number of seconds above 0 and at most {MaxTimeoutSeconds}, got {property.Value.GetRawText()}"));
                    }

                    break;
                default:
                    throw new AdminRequestException($"{property.Name}: unknown field (expected servers, command, timeoutSeconds)");
            }
        }

        if (command is null || command.Count == 0 || command[0].Length == 0)
        {
            throw new AdminRequestException("command: is required: the program and its arguments, like [\"uptime\"]");
        }

        return (servers ?? throw new AdminRequestException("servers: is required: \"all\" or a list of server names"), command, TimeSpan.FromSeconds(timeout));
    }
}
