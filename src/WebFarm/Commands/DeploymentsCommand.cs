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

            var table = new Table().AddColumns("Id", "App", "Kind", "Release", "Was", "State", "Started", "Took", "Error");
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
                    Markup.Escape(d.GetProperty("error").GetString() ?? string.Empty));
            }

            CliOutput.Write(table);
            return ApiConnection.Ok;
        }));
        return command;
    }
}
