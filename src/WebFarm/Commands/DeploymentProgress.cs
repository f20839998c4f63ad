using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>
/// Follows a deployment (`webfarm deploy`, `webfarm rollback`) until it ends: each server's phase and how long it has
/// been in it, live (a Spectre.Console table on a terminal, otherwise one plain line per phase change, every one of
/// them: <see cref="DeploymentPhaseLines"/>). Exit code 0 only when the deployment succeeded with every server on
/// its release (a stage: when it is staged on every server).
/// </summary>
internal static class DeploymentProgress
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the controller may be unreachable (a restart, a takeover) before following gives up.</summary>
    private static readonly TimeSpan Unreachable = TimeSpan.FromSeconds(60);

    public static async Task<int> FollowAsync(AdminClient api, JsonElement started, CancellationToken ct)
    {
        var id = started.GetProperty("id").GetInt64();
        Console.WriteLine(started.GetProperty("kind").GetString() == "stage"
            ? string.Create(CultureInfo.InvariantCulture, $"stage {id} of {started.GetProperty("app").GetString()}: release {started.GetProperty("release").GetInt64()} beside the live release on every server at once, out of rotation")
            : string.Create(CultureInfo.InvariantCulture, $"{started.GetProperty("kind").GetString()} {id} of {started.GetProperty("app").GetString()}: release {started.GetProperty("release").GetInt64()}, {started.GetProperty("strategy").GetString()}, {started.GetProperty("batch").GetInt32()} server(s) at a time"));
        JsonDocument? last = null;
        try
        {
            if (!Console.IsOutputRedirected && CliOutput.Console.Profile.Capabilities.Interactive)
            {
                var table = new Table().AddColumns("Server", "Phase", "Elapsed", "Release", "Detail");
                await CliOutput.Console.Live(table).StartAsync(async live =>
                {
                    while ((last = await NextAsync(api, id, last, ct)) is not null && State(last) == "running")
                    {
                        Fill(table, last.RootElement);
                        live.Refresh();
                        await Task.Delay(Poll, ct);
                    }

                    if (last is not null)
                    {
                        Fill(table, last.RootElement);
                        live.Refresh();
                    }
                });
            }
            else
            {
                // Every phase from the events; the record (read first, so a finished one's events are all published)
                // says when it ended, and gives the lines itself only if events were lost.
                var lines = new DeploymentPhaseLines(id, started.GetProperty("app").GetString()!);
                var seen = new Dictionary<string, string>(StringComparer.Ordinal);
                while ((last = await NextAsync(api, id, last, ct)) is not null)
                {
                    await lines.PrintNewAsync(api, ct);
                    if (!lines.Complete)
                    {
                        PrintChanges(last.RootElement, seen);
                    }

                    if (State(last) != "running")
                    {
                        break;
                    }

                    await Task.Delay(Poll, ct);
                }
            }

            return last is null ? ApiConnection.ApiError : Outcome(last.RootElement);
        }
        finally
        {
            last?.Dispose();
        }
    }

    /// <summary>The deployment now; null when the controller stayed unreachable (the last error is printed).</summary>
    private static async Task<JsonDocument?> NextAsync(AdminClient api, long id, JsonDocument? previous, CancellationToken ct)
    {
        var since = DateTime.UtcNow;
        while (true)
        {
            try
            {
                var next = await api.GetJsonAsync(string.Create(CultureInfo.InvariantCulture, $"api/deployments/{id}"), ct);
                previous?.Dispose();
                return next;
            }
            catch (HttpRequestException ex) when (DateTime.UtcNow - since < Unreachable)
            {
                _ = ex; // The controller restarts or hands over: keep asking for a while.
                await Task.Delay(Poll, ct);
            }
            catch (HttpRequestException ex)
            {
                Console.Error.WriteLine($"webfarm: lost the controller while following deployment {id}: {ex.Message}");
                previous?.Dispose();
                return null;
            }
        }
    }

    private static string State(JsonDocument document) => document.RootElement.GetProperty("state").GetString()!;

    private static void PrintChanges(JsonElement deployment, Dictionary<string, string> seen)
    {
        foreach (var server in deployment.GetProperty("servers").EnumerateArray())
        {
            var name = server.GetProperty("server").GetString()!;
            var phase = server.GetProperty("phase").GetString()!;
            if (seen.TryGetValue(name, out var was) && was == phase)
            {
                continue;
            }

            seen[name] = phase;
            var error = server.GetProperty("error").GetString();
            Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss} {name}: {phase}{Release(server)}{(error is null ? string.Empty : ": " + error)}");
        }
    }

    private static void Fill(Table table, JsonElement deployment)
    {
        table.Rows.Clear();
        var now = DateTimeOffset.UtcNow;
        foreach (var server in deployment.GetProperty("servers").EnumerateArray())
        {
            var phase = server.GetProperty("phase").GetString()!;
            var since = server.GetProperty("phaseSince").GetDateTimeOffset();
            table.AddRow(
                Markup.Escape(server.GetProperty("server").GetString()!),
                phase switch { "done" or "staged" => $"[green]{phase}[/]", "failed" => "[red]failed[/]", "waiting" => "[grey]waiting[/]", _ => "[yellow]" + Markup.Escape(phase) + "[/]" },
                string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (now - since).TotalSeconds):0.0} s"),
                server.GetProperty("release").ValueKind == JsonValueKind.Number ? server.GetProperty("release").GetInt64().ToString(CultureInfo.InvariantCulture) : "-",
                Markup.Escape(server.GetProperty("error").GetString() ?? string.Empty));
        }
    }

    /// <summary>Prints how it ended (with the failed servers' last output lines); 0 only when every server runs the release.</summary>
    private static int Outcome(JsonElement deployment)
    {
        var state = deployment.GetProperty("state").GetString();
        var release = deployment.GetProperty("release").GetInt64();
        var all = true;
        foreach (var server in deployment.GetProperty("servers").EnumerateArray())
        {
            all &= server.GetProperty("release").ValueKind == JsonValueKind.Number && server.GetProperty("release").GetInt64() == release;
            var output = server.GetProperty("output");
            if (server.GetProperty("error").GetString() is { } error)
            {
                Console.Error.WriteLine($"{server.GetProperty("server").GetString()}: {error}");
                foreach (var line in output.EnumerateArray())
                {
                    Console.Error.WriteLine($"  | {line.GetString()}");
                }
            }
        }

        if (state == "staged")
        {
            var app = deployment.GetProperty("app").GetString();
            var path = deployment.TryGetProperty("stagePath", out var p) && p.ValueKind == JsonValueKind.String ? $" or under {p.GetString()} (stripped)" : string.Empty;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"staged: release {release} runs on {string.Join(", ", deployment.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("server").GetString()))}, out of rotation; requests with the header X-WebFarm-Release: {release}{path} reach it"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"roll it out with `webfarm promote {app} {release}`, remove it with `webfarm unstage {app}`"));
            return ApiConnection.Ok;
        }

        if (state == "succeeded" && all)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"succeeded: every server runs release {release}"));
            return ApiConnection.Ok;
        }

        Console.Error.WriteLine($"{state}: {deployment.GetProperty("error").GetString() ?? "not every server runs the release"}");
        return ApiConnection.ApiError;
    }

    private static string Release(JsonElement server)
        => server.GetProperty("release").ValueKind == JsonValueKind.Number ? string.Create(CultureInfo.InvariantCulture, $" (serving release {server.GetProperty("release").GetInt64()})") : string.Empty;
}
