using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm servers list|add|remove|online|offline|drain|weight|verify` against a balancer's admin API, or with
/// --controller against the farm controller's balancer (NLB Manager / `wlbs drainstop` for WebFarm). Exit codes: 0 ok, 1 the API refused or is unreachable, 2 bad arguments.
/// </summary>
internal static class ServersCommand
{
    private const int Ok = ApiConnection.Ok;
    private const int ApiError = ApiConnection.ApiError;
    private const int BadArguments = ApiConnection.BadArguments;

    private static readonly Option<string> AdminOption = new("--admin")
    {
        Description = "Admin API base URL (default: $WEBFARM_ADMIN or http://127.0.0.1:8089).",
    };

    private static readonly Option<string> FarmOption = new("--farm", "-f")
    {
        Description = "Farm name; may be omitted when the balancer has a single farm.",
    };

    public static Command Create()
    {
        var command = new Command("servers", "List and manage the servers of a balancer's farms.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Add());
        command.Subcommands.Add(ServerAction("remove", "Remove a server from the farm (requests in flight finish).", (api, farm, name, _) => api.SendAsync(HttpMethod.Delete, $"api/farms/{farm}/servers/{name}")));
        command.Subcommands.Add(ServerAction("online", "Put a server online (takes new requests once healthy).", (api, farm, name, _) => api.SendAsync(HttpMethod.Post, $"api/farms/{farm}/servers/{name}/online")));
        command.Subcommands.Add(Offline());
        command.Subcommands.Add(ServerAction("drain", "Drain a server: no new requests, those in flight finish.", (api, farm, name, _) => api.SendAsync(HttpMethod.Post, $"api/farms/{farm}/servers/{name}/drain")));
        command.Subcommands.Add(Weight());
        command.Subcommands.Add(Verify());
        return command;
    }

    private static Command WithCommonOptions(Command command)
    {
        command.Options.Add(AdminOption);
        command.Options.Add(ApiConnection.ControllerOption);
        command.Options.Add(ApiConnection.TokenOption);
        command.Options.Add(FarmOption);
        return command;
    }

    private static Command List()
    {
        var command = WithCommonOptions(new Command("list", "Show the servers of every farm (or of --farm) with state, health, weight and load."));
        command.Options.Add(CliOutput.FormatOption);
        command.SetAction((parseResult, ct) => Run(parseResult, async api =>
        {
            var farmFilter = parseResult.GetValue(FarmOption);
            using var farms = await api.GetJsonAsync("api/farms", ct);
            var shown = new List<JsonElement>();
            foreach (var farm in farms.RootElement.EnumerateArray())
            {
                var name = farm.GetProperty("name").GetString()!;
                if (farmFilter is null || string.Equals(farmFilter, name, StringComparison.OrdinalIgnoreCase))
                {
                    shown.Add(farm);
                }
            }

            if (farmFilter is not null && shown.Count == 0)
            {
                Console.Error.WriteLine($"webfarm servers: no farm named '{farmFilter}'");
                return ApiError;
            }

            if (!CliOutput.TryWriteJson(parseResult, JsonSerializer.SerializeToElement(shown, ApiRequestJson.Default.ListJsonElement)))
            {
                shown.ForEach(PrintFarm);
            }

            return Ok;
        }));
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "Server name (letters, digits, '-', '_', '.')." };
        var address = new Argument<string>("address") { Description = "Server base URL, like http://10.0.0.5:5000." };
        var weight = new Option<int>("--weight") { Description = "Weight (0-10000).", DefaultValueFactory = _ => 1 };
        var backup = new Option<bool>("--backup") { Description = "Backup server: takes traffic only when no primary is available." };
        var max = new Option<int?>("--max-concurrent") { Description = "Maximum concurrent requests to this server." };
        var command = WithCommonOptions(new Command("add", "Add a server to a farm.") { name, address, weight, backup, max });
        command.SetAction((parseResult, ct) => Run(parseResult, async api =>
        {
            var farm = await api.ResolveFarmAsync(parseResult.GetValue(FarmOption), ct);
            if (farm is null)
            {
                return BadArguments;
            }

            var body = new Dictionary<string, object?>
            {
                ["name"] = parseResult.GetValue(name),
                ["address"] = parseResult.GetValue(address),
                ["weight"] = parseResult.GetValue(weight),
                ["backup"] = parseResult.GetValue(backup),
                ["maxConcurrentRequests"] = parseResult.GetValue(max),
            };
            return await api.SendAsync(HttpMethod.Post, $"api/farms/{farm}/servers", body);
        }));
        return command;
    }

    private static Command Offline()
    {
        var drain = new Option<bool>("--drain") { Description = "Drain first, then go offline by itself when no request is in flight." };
        var command = ServerAction(
            "offline",
            "Take a server offline (no new requests).",
            (api, farm, name, parseResult) => api.SendAsync(HttpMethod.Post, $"api/farms/{farm}/servers/{name}/offline{(parseResult.GetValue<bool>("--drain") ? "?drain=true" : string.Empty)}"));
        command.Options.Add(drain);
        return command;
    }

    private static Command Weight()
    {
        var weight = new Argument<string>("weight") { Description = "New weight (0-10000)." };
        var command = ServerAction("weight", "Change a server's weight live.", (api, farm, name, parseResult) =>
        {
            var text = parseResult.GetValue(weight);
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 10_000)
            {
                Console.Error.WriteLine($"webfarm servers weight: '{text}' is not a weight (a whole number from 0 to 10000)");
                return Task.FromResult(BadArguments);
            }

            return api.SendAsync(HttpMethod.Put, $"api/farms/{farm}/servers/{name}/weight", new Dictionary<string, object?> { ["weight"] = value });
        });
        command.Arguments.Add(weight);
        return command;
    }

    private static Command Verify()
    {
        var command = ServerAction("verify", "Run one health probe against a server now and show the verdict.", async (api, farm, name, parseResult) =>
        {
            var (status, json) = await api.PostForJsonAsync($"api/farms/{farm}/servers/{name}/verify", CancellationToken.None);
            if (json is null)
            {
                return status;
            }

            using (json)
            {
                var r = json.RootElement;
                if (CliOutput.TryWriteJson(parseResult, r))
                {
                    return r.GetProperty("healthy").GetBoolean() ? Ok : ApiError;
                }

                var table = new Table().AddColumns("Url", "Status", "Latency", "Verdict", "Reason");
                table.AddRow(
                    Markup.Escape(r.GetProperty("url").ToString()),
                    r.GetProperty("statusCode").ValueKind == JsonValueKind.Null ? "-" : r.GetProperty("statusCode").ToString(),
                    r.GetProperty("latencyMs").GetDouble().ToString("0.#", CultureInfo.InvariantCulture) + " ms",
                    r.GetProperty("healthy").GetBoolean() ? "[green]healthy[/]" : "[red]unhealthy[/]",
                    Markup.Escape(r.GetProperty("reason").GetString() ?? string.Empty));
                CliOutput.Write(table);
                var excerpt = r.GetProperty("bodyExcerpt").GetString();
                if (!string.IsNullOrEmpty(excerpt))
                {
                    Console.WriteLine("Body: " + excerpt);
                }

                return r.GetProperty("healthy").GetBoolean() ? Ok : ApiError;
            }
        });
        command.Options.Add(CliOutput.FormatOption);
        return command;
    }

    private static Command ServerAction(string verb, string description, Func<AdminClient, string, string, ParseResult, Task<int>> action)
    {
        var name = new Argument<string>("server") { Description = "Server name." };
        var command = WithCommonOptions(new Command(verb, description) { name });
        command.SetAction((parseResult, ct) => Run(parseResult, async api =>
        {
            var farm = await api.ResolveFarmAsync(parseResult.GetValue(FarmOption), ct);
            return farm is null ? BadArguments : await action(api, farm, Uri.EscapeDataString(parseResult.GetValue(name)!), parseResult);
        }));
        return command;
    }

    /// <summary>Against the controller with --controller (its farms: the servers' farm and one per app), else the admin API.</summary>
    private static Task<int> Run(ParseResult parseResult, Func<AdminClient, Task<int>> body)
    {
        if (parseResult.GetValue(ApiConnection.ControllerOption) is not null)
        {
            return ApiConnection.ControllerAsync(parseResult, "webfarm servers", body);
        }

        var admin = parseResult.GetValue(AdminOption) ?? Environment.GetEnvironmentVariable("WEBFARM_ADMIN") ?? "http://127.0.0.1:8089";
        return ApiConnection.RunAsync(parseResult, "webfarm servers", "--admin", admin, "admin API", body);
    }

    private static void PrintFarm(JsonElement farm)
    {
        var name = farm.GetProperty("name").GetString()!;
        var panic = farm.GetProperty("inPanic").GetBoolean() ? " [red](panic: below minimum healthy servers)[/]" : string.Empty;
        var heading = $"[bold]Farm {Markup.Escape(name)}[/] ({Markup.Escape(farm.GetProperty("loadBalancing").GetString() ?? string.Empty)}, HTTP/{Markup.Escape(farm.GetProperty("httpVersion").GetString() ?? "1.1")})";
        if (farm.GetProperty("servers").GetArrayLength() == 0)
        {
            // Said, not hidden: a farm a route sends requests to answers 503 while it has none, and `webfarm up`'s
            // `servers` farm (the controller's own servers, which run no app there) is empty by design. An empty
            // table read as a drawing glitch.
            CliOutput.MarkupLine($"{heading}: no servers{panic}");
            return;
        }

        CliOutput.MarkupLine(heading + panic);
        var table = new Table().AddColumns("Server", "Address", "State", "Health", "Weight", "In flight", "Role");
        foreach (var s in farm.GetProperty("servers").EnumerateArray())
        {
            var state = s.GetProperty("state").GetString() ?? "?";
            var stateMarkup = state switch
            {
                "online" => "[green]online[/]",
                "draining" => "[yellow]draining[/]",
                _ => "[grey]" + Markup.Escape(state) + "[/]",
            };
            var weight = s.GetProperty("weight").GetInt32();
            var effective = s.GetProperty("effectiveWeight").GetDouble();
            var weightText = Math.Abs(effective - weight) < 0.001 ? weight.ToString(CultureInfo.InvariantCulture) : $"{weight} (warming: {effective.ToString("0.##", CultureInfo.InvariantCulture)})";
            table.AddRow(
                Markup.Escape(s.GetProperty("name").GetString() ?? string.Empty),
                Markup.Escape(s.GetProperty("address").GetString() ?? string.Empty),
                stateMarkup,
                HealthCell(s),
                weightText,
                s.GetProperty("inFlight").GetInt32().ToString(CultureInfo.InvariantCulture),
                s.GetProperty("backup").GetBoolean() ? "backup" : "primary");
        }

        CliOutput.Write(table);
    }

    /// <summary>"healthy", or "unhealthy" with what its last active check got ("GET /healthz: 500").</summary>
    private static string HealthCell(JsonElement server)
    {
        if (server.GetProperty("healthy").GetBoolean())
        {
            return "[green]healthy[/]";
        }

        if (server.TryGetProperty("lastCheck", out var check) && check.ValueKind == JsonValueKind.Object
            && !check.GetProperty("healthy").GetBoolean()
            && Uri.TryCreate(check.GetProperty("url").GetString(), UriKind.Absolute, out var url))
        {
            // Short, for a table cell: the status when there was one ("GET /healthz: 503"), else the failure ("connection refused").
            var what = check.GetProperty("statusCode") is { ValueKind: JsonValueKind.Number } status
                ? status.GetInt32().ToString(CultureInfo.InvariantCulture)
                : check.GetProperty("reason").GetString() ?? string.Empty;
            return $"[red]unhealthy[/] [grey](GET {Markup.Escape(url.PathAndQuery)}: {Markup.Escape(what)})[/]";
        }

        return "[red]unhealthy[/]";
    }
}
