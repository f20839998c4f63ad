using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>`webfarm apps add|list|remove|restart` against the controller API (WFF's application operations).</summary>
internal static class AppsCommand
{
    public static Command Create()
    {
        var command = new Command("apps", "The apps the farm's agents run: add, list, remove, rolling restart.");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(Restart());
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "The app's name (also its farm in the balancer)." };
        var run = new Option<string?>("--command") { Description = "The program, or the app's .dll, as a path on the servers; leave it out for an app that runs its releases (`webfarm deploy`)." };
        var entry = new Option<string?>("--entry") { Description = "For an app that runs its releases: its entry point, a path inside the release (default: the release's one app .dll)." };
        var ports = new Option<string>("--ports") { Description = "The port range instances listen on, like 5000-5009.", Required = true };
        var health = new Option<string?>("--health-path") { Description = "GET this path; 2xx/3xx means healthy (default /healthz)." };
        var healthStatus = new Option<string?>("--health-status") { Description = "The statuses of the health path that pass, like 200-499 (default 200-399): e.g. --health-path / --health-status 200-499 for an app without a health endpoint." };
        var environment = new Option<string[]>("--env") { Description = "NAME=VALUE set for every instance (repeatable).", AllowMultipleArgumentsPerToken = false };
        var servers = new Option<string>("--servers") { Description = "all (default, also servers that join later) or web1,web2.", DefaultValueFactory = _ => "all" };
        var hosts = new Option<string[]>("--host") { Description = "A host name routed to the app (repeatable); none: the requests no app's host claims." };
        var loadBalancing = new Option<string>("--load-balancing") { Description = "static (default: the servers' weights alone) or reported (effective weights also follow the load the servers report: slower or busier servers get less new traffic).", DefaultValueFactory = _ => "static" };
        loadBalancing.AcceptOnlyFromAmong("static", "reported");
        var on = new Option<string[]>("--on") { Description = "Run only on servers with this label, KEY=VALUE like role=web (repeatable: every one must match; agents get labels with --label).", AllowMultipleArgumentsPerToken = false };
        var arguments = new Argument<string[]>("arguments") { Description = "The program's arguments (after --); {port}, {host} and {server} are replaced on each server.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("add", "Add an app: every chosen server's agent runs an instance, which joins the app's farm once healthy.")
        {
            name, run, entry, ports, health, healthStatus, environment, servers, hosts, loadBalancing, on, arguments, ApiConnection.ControllerOption, ApiConnection.TokenOption,
        };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm apps add", async api =>
        {
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parseResult.GetValue(environment) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    Console.Error.WriteLine($"webfarm apps add: --env '{pair}' is not NAME=VALUE");
                    return ApiConnection.BadArguments;
                }

                env[pair[..equals]] = pair[(equals + 1)..];
            }

            Dictionary<string, string> placement;
            try
            {
                placement = WebFarm.Agent.Control.ServerLabels.Parse(parseResult.GetValue(on) ?? [], "--on");
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"webfarm apps add: {ex.Message}");
                return ApiConnection.BadArguments;
            }

            var serverList = parseResult.GetValue(servers)!;
            var body = new Dictionary<string, object?>
            {
                ["name"] = parseResult.GetValue(name),
                ["arguments"] = parseResult.GetValue(arguments) ?? [],
                ["ports"] = parseResult.GetValue(ports),
                ["environment"] = env,
                ["servers"] = serverList == "all" ? "all" : serverList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                ["hosts"] = parseResult.GetValue(hosts) ?? [],
                ["loadBalancing"] = parseResult.GetValue(loadBalancing),
                ["on"] = placement,
            };
            if (parseResult.GetValue(run) is { } program)
            {
                body["command"] = program;
            }

            if (parseResult.GetValue(entry) is { } entryPoint)
            {
                body["entry"] = entryPoint;
            }

            if (parseResult.GetValue(health) is { } path)
            {
                body["healthPath"] = path;
            }

            if (parseResult.GetValue(healthStatus) is { } statuses)
            {
                body["healthStatus"] = statuses;
            }

            var (status, json) = await api.PostForJsonAsync("api/apps", body, ct);
            json?.Dispose();
            if (status == ApiConnection.Ok)
            {
                Console.WriteLine($"app {parseResult.GetValue(name)} added; its servers start it at their next heartbeat (`webfarm ps`)");
            }

            return status;
        }));
        return command;
    }

    private static Command List()
    {
        var showSecrets = new Option<bool>("--show-secrets") { Description = "Show the values of the apps' environment (-o json); hidden as *** by default, since they often hold passwords and keys." };
        var command = new Command("list", "Show the apps: command, ports, health path, servers and hosts.") { showSecrets, ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm apps list", async api =>
        {
            using var apps = await api.GetJsonAsync(parseResult.GetValue(showSecrets) ? "api/apps?showSecrets=true" : "api/apps", ct);
            if (CliOutput.TryWriteJson(parseResult, apps.RootElement))
            {
                return ApiConnection.Ok;
            }

            var table = new Table().AddColumns("App", "Command", "Ports", "Health", "Servers", "On", "Hosts", "Load balancing");
            foreach (var a in apps.RootElement.EnumerateArray())
            {
                var servers = a.GetProperty("servers").EnumerateArray().Select(s => s.GetString()).ToList();
                var hosts = a.GetProperty("hosts").EnumerateArray().Select(s => s.GetString()).ToList();
                var arguments = a.GetProperty("arguments").EnumerateArray().Select(s => s.GetString());
                table.AddRow(
                    Markup.Escape(a.GetProperty("name").GetString()!),
                    Markup.Escape(a.GetProperty("command").GetString() is { Length: > 0 } program ? string.Join(' ', [program, .. arguments]) : "(its releases)"),
                    string.Create(CultureInfo.InvariantCulture, $"{a.GetProperty("portFrom").GetInt32()}-{a.GetProperty("portTo").GetInt32()}"),
                    Markup.Escape(a.GetProperty("healthPath").GetString() + (a.TryGetProperty("healthStatus", out var passing) && passing.ValueKind == JsonValueKind.String ? $" ({passing.GetString()})" : string.Empty)),
                    Markup.Escape(servers.Count == 0 ? "all" : string.Join(", ", servers)),
                    Markup.Escape(a.TryGetProperty("on", out var labels) && labels.ValueKind == JsonValueKind.Object ? string.Join(", ", labels.EnumerateObject().Select(l => $"{l.Name}={l.Value.GetString()}")) : "any"),
                    Markup.Escape(hosts.Count == 0 ? "(default)" : string.Join(", ", hosts)),
                    Markup.Escape(a.GetProperty("loadBalancing").GetString()!));
            }

            CliOutput.Write(table);
            return ApiConnection.Ok;
        }));
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The app to remove (its instances stop)." };
        var command = new Command("remove", "Remove an app: its farm leaves the balancer and its agents stop its instances.") { name, ApiConnection.ControllerOption, ApiConnection.TokenOption };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm apps remove", api => api.SendAsync(HttpMethod.Delete, $"api/apps/{Uri.EscapeDataString(parseResult.GetValue(name)!)}")));
        return command;
    }

    private static Command Restart()
    {
        var name = new Argument<string>("name") { Description = "The app to restart." };
        var command = new Command("restart", "Rolling restart: one server at a time, drained first, back once healthy; no request fails.") { name, ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(
            parseResult,
            "webfarm apps restart",
            async api =>
            {
                var (status, json) = await api.PostForJsonAsync($"api/apps/{Uri.EscapeDataString(parseResult.GetValue(name)!)}/restart", body: null, ct);
                if (json is null)
                {
                    return status;
                }

                using (json)
                {
                    var completed = json.RootElement.GetProperty("completed").GetBoolean() ? ApiConnection.Ok : ApiConnection.ApiError;
                    if (CliOutput.TryWriteJson(parseResult, json.RootElement))
                    {
                        return completed;
                    }

                    var table = new Table().AddColumns("Server", "Outcome", "Seconds", "Detail");
                    foreach (var step in json.RootElement.GetProperty("servers").EnumerateArray())
                    {
                        var outcome = step.GetProperty("outcome").GetString()!;
                        table.AddRow(
                            Markup.Escape(step.GetProperty("server").GetString()!),
                            outcome switch { "restarted" => "[green]restarted[/]", "failed" => "[red]failed[/]", _ => "[yellow]" + Markup.Escape(outcome) + "[/]" },
                            step.GetProperty("seconds").GetDouble().ToString("0.0", CultureInfo.InvariantCulture),
                            Markup.Escape(step.GetProperty("detail").GetString()!));
                    }

                    CliOutput.Write(table);
                    return completed;
                }
            },
            timeout: TimeSpan.FromMinutes(30))); // One server at a time, each up to its drain and health timeouts.
        return command;
    }
}
