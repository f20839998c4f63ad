using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>`webfarm deployments [APP]`: the latest deployments and rollbacks, newest first, with how each ended.</summary>
internal static class DeploymentsCommand
{
    public static Command Create()
    {
        var app = new Argument<string?>("APP") { Description = "Only this app's deployments.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("deployments", "List the latest deployments and rollbacks (newest first).") { app, ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm deployments", async api =>
        {
            var name = parseResult.GetValue(app);
            using var list = await api.GetJsonAsync(name is null ? "api/deployments" : $"api/deployments?app={Uri.EscapeDataString(name)}", ct);
            if (CliOutput.TryWriteJson(parseResult, list.RootElement))
            {
                return ApiConnection.Ok;
            }

            var table = new Table().AddColumns("Id", "App", "Kind", "Release", "Was", "State", "Started", "Took", "Options", "Error");
            foreach (var d in list.RootElement.EnumerateArray())
            {
                var started = d.GetProperty("startedAt").GetDateTimeOffset();
                var finished = d.GetProperty("finishedAt");
                table.AddRow(
                    d.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(d.GetProperty("app").GetString()!),
                    Markup.Escape(d.GetProperty("kind").GetString()!),
                    d.GetProperty("release").GetInt64().ToString(CultureInfo.InvariantCulture),
                    d.GetProperty("previousRelease").ValueKind == JsonValueKind.Number ? d.GetProperty("previousRelease").GetInt64().ToString(CultureInfo.InvariantCulture) : "-",
                    Markup.Escape(d.GetProperty("state").GetString()!),
                    started.ToString("u", CultureInfo.InvariantCulture),
                    finished.ValueKind == JsonValueKind.String ? string.Create(CultureInfo.InvariantCulture, $"{(finished.GetDateTimeOffset() - started).TotalSeconds:0.0} s") : "running",
                    Markup.Escape(Options(d)),
                    Markup.Escape(d.GetProperty("error").GetString() ?? string.Empty));
            }

            CliOutput.Write(table);
            return ApiConnection.Ok;
        }));
        return command;
    }

    /// <summary>
    /// The options a deployment ran with, as `webfarm deploy` takes them ("batch 1, gate 3 passes in 60 s, drain 30 s");
    /// a record written before an option was kept leaves it out.
    /// </summary>
    private static string Options(JsonElement d)
    {
        var parts = new List<string>(4);
        if (d.GetProperty("kind").GetString() != "stage")
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"batch {d.GetProperty("batch").GetInt32()}"));
        }

        if (d.TryGetProperty("healthPasses", out var passes) && passes.ValueKind == JsonValueKind.Number)
        {
            var within = d.TryGetProperty("healthTimeout", out var timeout) && timeout.ValueKind == JsonValueKind.String
                ? " in " + Seconds(timeout)
                : string.Empty;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"gate {passes.GetInt32()} passes{within}"));
        }

        if (d.TryGetProperty("drainTimeout", out var drain) && drain.ValueKind == JsonValueKind.String)
        {
            parts.Add("drain " + Seconds(drain));
        }

        if (d.TryGetProperty("autoRollback", out var auto) && auto.ValueKind == JsonValueKind.True)
        {
            parts.Add("auto-rollback");
        }

        return string.Join(", ", parts);
    }

    private static string Seconds(JsonElement span)
        => string.Create(CultureInfo.InvariantCulture, $"{TimeSpan.Parse(span.GetString()!, CultureInfo.InvariantCulture).TotalSeconds:0.###} s");
}
