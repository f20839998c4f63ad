using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using WebFarm.Agent.Control;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>`webfarm agents token|list` against the controller API. Exit codes: 0 ok, 1 refused or unreachable, 2 bad arguments.</summary>
internal static class AgentsCommand
{
    public static Command Create()
    {
        var command = new Command("agents", "Join tokens and the agents of a farm controller.");
        var token = new Command("token", "Print a one-time join token for `webfarm agent --join-token` (valid for 1 hour).") { ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption };
        token.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm agents token", async api =>
        {
            var (status, json) = await api.PostForJsonAsync("api/agents/tokens", ct);
            using (json)
            {
                if (json is not null && !CliOutput.TryWriteJson(parseResult, json.RootElement))
                {
                    Console.WriteLine(json.RootElement.GetProperty("token").GetString());
                }
            }

            return status;
        }));
        var list = new Command("list", "Show every joined server: address, state, last heartbeat and load.") { ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption };
        list.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm agents list", async api =>
        {
            using var agents = await api.GetJsonAsync("api/agents", ct);
            if (CliOutput.TryWriteJson(parseResult, agents.RootElement))
            {
                return ApiConnection.Ok;
            }

            var table = new Table().AddColumns("Server", "Address", "State", "Last heartbeat", "CPU", "Memory", "Load avg", "Labels", "Detail");
            foreach (var a in agents.RootElement.EnumerateArray())
            {
                var state = a.GetProperty("state").GetString() ?? "?";
                var load = a.GetProperty("load");
                table.AddRow(
                    Markup.Escape(a.GetProperty("name").GetString() ?? string.Empty),
                    Markup.Escape(a.GetProperty("address").GetString() ?? string.Empty),
                    state switch { "ready" => "[green]ready[/]", "lost" => "[red]lost[/]", _ => "[yellow]" + Markup.Escape(state) + "[/]" },
                    a.GetProperty("lastHeartbeat") is { ValueKind: JsonValueKind.String } last ? Markup.Escape(last.GetString()!) : "-",
                    load.ValueKind == JsonValueKind.Object ? load.GetProperty("cpuPercent").GetDouble().ToString("0.0", CultureInfo.InvariantCulture) + " %" : "-",
                    load.ValueKind == JsonValueKind.Object ? Memory(load) : "-",
                    load.ValueKind == JsonValueKind.Object ? load.GetProperty("loadAverage1").GetDouble().ToString("0.00", CultureInfo.InvariantCulture) : "-",
                    Markup.Escape(a.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Object && labels.EnumerateObject().Any() ? string.Join(", ", labels.EnumerateObject().Select(l => $"{l.Name}={l.Value.GetString()}")) : "-"),
                    Markup.Escape(a.GetProperty("detail").GetString() ?? string.Empty));
            }

            CliOutput.Write(table);
            return ApiConnection.Ok;
        }));
        command.Subcommands.Add(token);
        command.Subcommands.Add(list);
        return command;
    }

    private static string Memory(JsonElement load)
    {
        const double MiB = 1024 * 1024;
        var used = load.GetProperty("memoryUsedBytes").GetInt64() / MiB;
        var total = load.GetProperty("memoryTotalBytes").GetInt64() / MiB;
        return string.Create(CultureInfo.InvariantCulture, $"{used:0} / {total:0} MiB");
    }
}
