using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>`webfarm releases APP`: the app's kept releases, newest first, and the servers holding each.</summary>
internal static class ReleasesCommand
{
    public static Command Create()
    {
        var app = new Argument<string>("APP") { Description = "The app's name." };
        var command = new Command("releases", "List an app's releases: id, time, message, size, files changed, servers holding it.")
        {
            app, ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption,
        };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm releases", async api =>
        {
            var name = Uri.EscapeDataString(parseResult.GetValue(app)!);
            using var releases = await api.GetJsonAsync($"api/apps/{name}/releases", ct);
            if (!CliOutput.TryWriteJson(parseResult, releases.RootElement))
            {
                CliOutput.Write(Table(releases.RootElement, "Release", await StageOfAsync(api, name, ct)));
            }

            return ApiConnection.Ok;
        }));
        return command;
    }

    /// <summary>The app's stage from its deployments (newest first): its release and "staged on web1, web2" (or "staging on"), or null.</summary>
    private static async Task<(long Release, string Where)?> StageOfAsync(AdminClient api, string app, CancellationToken ct)
    {
        JsonDocument deployments;
        try
        {
            deployments = await api.GetJsonAsync($"api/deployments?app={app}", ct);
        }
        catch (HttpRequestException)
        {
            return null; // Releases of a name that is no app (stored, not run): nothing can be staged.
        }

        using (deployments)
        {
            return StageOf(deployments.RootElement);
        }
    }

    private static (long Release, string Where)? StageOf(JsonElement deployments)
    {
        foreach (var d in deployments.EnumerateArray())
        {
            var state = d.GetProperty("state").GetString();
            if (d.GetProperty("kind").GetString() == "stage" && state is "staged" or "running")
            {
                var servers = string.Join(", ", d.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("server").GetString()));
                var path = d.TryGetProperty("stagePath", out var p) && p.ValueKind == JsonValueKind.String ? $", path {p.GetString()}" : string.Empty;
                return (d.GetProperty("release").GetInt64(), $"{(state == "staged" ? "staged" : "staging")} on {servers}{path}");
            }
        }

        return null;
    }

    /// <summary>A table of releases or content set versions as the controller lists them (a release's stage, when given, in its servers' column).</summary>
    public static Table Table(JsonElement list, string idColumn, (long Release, string Where)? stage = null)
    {
        var table = new Table().AddColumns(idColumn, "Created (UTC)", "Message", "Size", "Files", "Changed", "On servers");
        foreach (var r in list.EnumerateArray())
        {
            var servers = string.Join(", ", r.GetProperty("installedOn").EnumerateArray().Select(s => s.GetString()));
            foreach (var refused in r.GetProperty("refusedBy").EnumerateObject())
            {
                servers += $"{(servers.Length > 0 ? ", " : string.Empty)}{refused.Name}: refused ({refused.Value.GetString()})";
            }

            if (stage is { } staged && staged.Release == r.GetProperty("id").GetInt64())
            {
                servers += $"{(servers.Length > 0 ? "; " : string.Empty)}{staged.Where}";
            }

            table.AddRow(
                Markup.Escape(r.TryGetProperty("name", out var name) && idColumn != "Release" ? $"{name.GetString()} #{r.GetProperty("id")}" : r.GetProperty("id").ToString()),
                r.GetProperty("created").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                Markup.Escape(r.GetProperty("message").GetString() ?? string.Empty),
                Size(r.GetProperty("size").GetInt64()),
                r.GetProperty("files").ToString(),
                r.GetProperty("changed").ToString(),
                Markup.Escape(servers.Length == 0 ? "-" : servers));
        }

        return table;
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        >= 1 << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
