using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>`webfarm availability [--since 7d] [--app NAME]`: the controller's availability report, in nines.</summary>
internal static class AvailabilityCommand
{
    public static Command Create()
    {
        var since = new Option<string>("--since") { Description = "The period, back from now: 7d, 24h, 30m (default 7d).", DefaultValueFactory = _ => "7d" };
        var app = new Option<string?>("--app") { Description = "Only this app, its servers and the farm." };
        var command = new Command("availability", "Availability of the farm, each app and each server: percentage, nines, scheduled and unscheduled downtime, and the downtime list.")
        {
            since, app, ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption,
        };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm availability", async api =>
        {
            var query = "api/availability?since=" + Uri.EscapeDataString(parseResult.GetValue(since)!);
            if (parseResult.GetValue(app) is { } name)
            {
                query += "&app=" + Uri.EscapeDataString(name);
            }

            using var report = await api.GetJsonAsync(query, ct);
            var root = report.RootElement;
            if (CliOutput.TryWriteJson(parseResult, root))
            {
                return ApiConnection.Ok;
            }

            var subjects = new Table().AddColumns("Kind", "Name", "Availability", "Nines", "Unscheduled only", "Scheduled down", "Unscheduled down", "Outages", "Since");
            foreach (var s in root.GetProperty("subjects").EnumerateArray())
            {
                subjects.AddRow(
                    Markup.Escape(s.GetProperty("kind").GetString()!),
                    Markup.Escape(s.GetProperty("name").GetString()!),
                    Percent(s.GetProperty("availabilityPercent").GetDouble()),
                    s.GetProperty("nines") is { ValueKind: JsonValueKind.Number } nines ? nines.GetDouble().ToString("0.0", CultureInfo.InvariantCulture) : "no downtime",
                    Percent(s.GetProperty("unscheduledAvailabilityPercent").GetDouble()),
                    Duration(s.GetProperty("scheduledDowntimeSeconds").GetDouble()),
                    Duration(s.GetProperty("unscheduledDowntimeSeconds").GetDouble()),
                    s.GetProperty("outages").GetInt32().ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(s.GetProperty("from").GetDateTimeOffset().ToString("u", CultureInfo.InvariantCulture)));
            }

            CliOutput.Write(subjects);
            // One line per interval (not a table): whole causes, whatever the terminal's width, and easy to grep.
            var any = false;
            foreach (var d in root.GetProperty("downtime").EnumerateArray())
            {
                any = true;
                var ended = d.GetProperty("ended") is { ValueKind: JsonValueKind.String } end ? end.GetDateTimeOffset().ToString("u", CultureInfo.InvariantCulture) : "ongoing";
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{d.GetProperty("started").GetDateTimeOffset():u} to {ended} ({Duration(d.GetProperty("seconds").GetDouble())}): {d.GetProperty("kind").GetString()} {d.GetProperty("subject").GetString()} down, {(d.GetProperty("scheduled").GetBoolean() ? "scheduled" : "unscheduled")}: {d.GetProperty("cause").GetString()}"));
            }

            if (!any)
            {
                Console.WriteLine("No downtime in the period.");
            }

            return ApiConnection.Ok;
        }));
        return command;
    }

    // Four decimals: 99.9999 % is the 6-nines line, and a rounded 100 % would hide downtime.
    private static string Percent(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture) + " %";

    private static string Duration(double seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m {span.Seconds:00}s");
    }
}
