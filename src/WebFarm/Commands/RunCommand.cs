using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm run --servers all|web1,web2 [--timeout 30s] -- COMMAND...`: runs a command on servers whose agent allows
/// it, prints each server's output lines as they arrive (`web1| line`; the API streams them as NDJSON), then each
/// server's exit code. Exit code 0 when every server's command exited 0, else 1.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var servers = new Option<string>("--servers") { Description = "all, or web1,web2.", Required = true };
        var timeout = new Option<string>("--timeout") { Description = "Kill the command after this long, like 30s or 5m.", DefaultValueFactory = _ => "30s" };
        var command = new Argument<string[]>("command") { Description = "The program and its arguments (after --; no shell).", Arity = ArgumentArity.OneOrMore };
        var run = new Command("run", "Run a command on servers whose agent was started with --allow-commands; prints each server's output and exit code.")
        {
            servers, timeout, command, ApiConnection.ControllerOption, ApiConnection.TokenOption,
        };
        run.SetAction((parseResult, ct) =>
        {
            var text = parseResult.GetValue(timeout)!;
            if (!DurationParser.TryParse(text, out var limit, out _) || limit <= TimeSpan.Zero)
            {
                Console.Error.WriteLine($"webfarm run: --timeout '{text}' is not a duration like 30s or 5m");
                return Task.FromResult(ApiConnection.BadArguments);
            }

            return ApiConnection.ControllerAsync(
                parseResult,
                "webfarm run",
                async api =>
                {
                    var list = parseResult.GetValue(servers)!;
                    var body = new Dictionary<string, object?>
                    {
                        ["servers"] = list == "all" ? "all" : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                        ["command"] = parseResult.GetValue(command),
                        ["timeoutSeconds"] = limit.TotalSeconds,
                    };
                    using var response = await api.PostForStreamAsync("api/run", body, "application/x-ndjson", ct);
                    if (response is null)
                    {
                        return ApiConnection.ApiError;
                    }

                    // Lines as they come; the exit codes once all are in, in server order.
                    var exits = new SortedDictionary<string, string>(StringComparer.Ordinal);
                    var allZero = true;
                    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                    while (await reader.ReadLineAsync(ct) is { } line)
                    {
                        using var e = JsonDocument.Parse(line);
                        var server = e.RootElement.GetProperty("server").GetString()!;
                        if (e.RootElement.GetProperty("kind").GetString() == "output")
                        {
                            Console.WriteLine($"{server}| {e.RootElement.GetProperty("line").GetString()}");
                            continue;
                        }

                        var exit = e.RootElement.GetProperty("exitCode");
                        allZero &= exit.ValueKind == JsonValueKind.Number && exit.GetInt32() == 0;
                        exits[server] = exit.ValueKind == JsonValueKind.Number ? $"exit code {exit.GetInt32()}" : e.RootElement.GetProperty("error").GetString() ?? "no exit code";
                    }

                    foreach (var (server, verdict) in exits)
                    {
                        Console.WriteLine($"== {server}: {verdict}");
                    }

                    return allZero && exits.Count > 0 ? ApiConnection.Ok : ApiConnection.ApiError;
                },
                timeout: limit + TimeSpan.FromSeconds(30));
        });
        return run;
    }
}
