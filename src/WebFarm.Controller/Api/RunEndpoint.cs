using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Commands;
using WebFarm.Controller.Hosting;

namespace WebFarm.Controller.Api;

/// <summary>POST /api/run {"servers": "all" | ["web1"], "command": ["uptime"], "timeoutSeconds": 30} (`webfarm run`).</summary>
internal static class RunEndpoint
{
    private const double MaxTimeoutSeconds = 3600;

    public static void Map(WebApplication app, Func<HttpContext, LeaderRole> leader)
    {
        app.MapPost("/api/run", async context =>
        {
            using var body = await AdminHttp.ReadBody(context);
            var (servers, command, timeout) = Read(body.RootElement);
            var results = await leader(context).Commands.RunAsync(servers, command, timeout, context.RequestAborted);
            await AdminHttp.WriteJson(context, new { results });
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
