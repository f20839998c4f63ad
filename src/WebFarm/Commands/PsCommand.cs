using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>`webfarm ps [--server web1]`: the app processes on each server (pid, uptime, CPU, memory, requests in flight).</summary>
internal static class PsCommand
{
    public static Command Create()
    {
        var server = new Option<string?>("--server") { Description = "Only this server." };
        var command = new Command("ps", "Show the app processes on each server: pid, uptime, CPU, memory, requests in flight.") { server, ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm ps", async api =>
        {
            var query = parseResult.GetValue(server) is { } name ? "?server=" + Uri.EscapeDataString(name) : string.Empty;
            using var rows = await api.GetJsonAsync("api/ps" + query, ct);
            if (CliOutput.TryWriteJson(parseResult, rows.RootElement))
            {
                return ApiConnection.Ok;
            }

            var table = new Table().AddColumns("Server", "App", "Pid", "Port", "State", "Uptime", "CPU", "Memory", "In flight", "Latency", "Probe", "Weight x", "Restarts", "Detail");
            foreach (var r in rows.RootElement.EnumerateArray())
            {
                var healthy = r.GetProperty("healthy").GetBoolean();
                var state = r.GetProperty("state").GetString()!;
                table.AddRow(
                    Markup.Escape(r.GetProperty("server").GetString()!),
                    Markup.Escape(r.GetProperty("app").GetString()!),
                    r.GetProperty("pid") is { ValueKind: JsonValueKind.Number } pid ? pid.GetInt32().ToString(CultureInfo.InvariantCulture) : "-",
                    r.GetProperty("port").GetInt32().ToString(CultureInfo.InvariantCulture),
                    (healthy ? "[green]" : "[yellow]") + Markup.Escape(state + (healthy ? ", healthy" : string.Empty) + (r.GetProperty("inRotation").GetBoolean() ? ", in rotation" : string.Empty)) + "[/]",
                    r.GetProperty("uptimeSeconds") is { ValueKind: JsonValueKind.Number } up ? Uptime(TimeSpan.FromSeconds(up.GetDouble())) : "-",
                    r.GetProperty("cpuPercent").GetDouble().ToString("0.0", CultureInfo.InvariantCulture) + " %",
                    (r.GetProperty("memoryBytes").GetInt64() / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
                    r.GetProperty("inFlight").GetInt32().ToString(CultureInfo.InvariantCulture),
                    Milliseconds(r.GetProperty("responseTimeMs")),
                    Milliseconds(r.GetProperty("probeLatencyMs")),
                    r.GetProperty("loadFactor").GetDouble().ToString("0.00", CultureInfo.InvariantCulture),
                    r.GetProperty("restarts").GetInt32().ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(r.GetProperty("detail").GetString()!));
            }

            CliOutput.Write(table);
            return ApiConnection.Ok;
        }));
        return command;
    }

    private static string Milliseconds(JsonElement value)
        => value.ValueKind == JsonValueKind.Number ? value.GetDouble().ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";

    private static string Uptime(TimeSpan span)
        => span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h{span.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m{span.Seconds:00}s");
}
