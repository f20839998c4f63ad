using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>
/// `webfarm trace [--server web1] [--filter TEXT] [--follow] [--clear]`: the agents' trace rings (their apps' output
/// lines and the agents' events), merged by the controller in time order.
/// </summary>
internal static class TraceCommand
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var server = new Option<string?>("--server") { Description = "Only this server's messages." };
        var filter = new Option<string?>("--filter") { Description = "Only messages containing this text (case-insensitive)." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new messages until Ctrl+C." };
        var clear = new Option<bool>("--clear") { Description = "Empty the rings (of --server, or all) instead of printing." };
        var command = new Command("trace", "Print the servers' last messages (app output, agent events) in time order.")
        {
            server, filter, follow, clear, ApiConnection.ControllerOption, ApiConnection.TokenOption, CliOutput.FormatOption,
        };
        command.SetAction((parseResult, ct) => ApiConnection.ControllerAsync(parseResult, "webfarm trace", async api =>
        {
            var query = new List<string>();
            if (parseResult.GetValue(server) is { } name)
            {
                query.Add("server=" + Uri.EscapeDataString(name));
            }

            if (parseResult.GetValue(clear))
            {
                var status = await api.SendAsync(HttpMethod.Delete, "api/trace" + (query.Count == 0 ? string.Empty : "?" + query[0]));
                return status;
            }

            if (parseResult.GetValue(filter) is { } text)
            {
                query.Add("filter=" + Uri.EscapeDataString(text));
            }

            // JSON: one array without --follow; with it a stream, so one record per line (NDJSON) as each arrives.
            var json = CliOutput.Format(parseResult) == OutputFormat.Json;
            var following = parseResult.GetValue(follow);
            long after = 0;
            do
            {
                var path = "api/trace?" + string.Join('&', [.. query, "after=" + after.ToString(CultureInfo.InvariantCulture)]);
                using var records = await api.GetJsonAsync(path, ct);
                if (json && !following)
                {
                    CliOutput.TryWriteJson(parseResult, records.RootElement);
                    return ApiConnection.Ok;
                }

                foreach (var r in records.RootElement.EnumerateArray())
                {
                    after = Math.Max(after, r.GetProperty("id").GetInt64());
                    if (json)
                    {
                        CliOutput.WriteJsonLine(r);
                        continue;
                    }

                    Console.WriteLine($"{r.GetProperty("time").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)} {r.GetProperty("server").GetString()} [{r.GetProperty("source").GetString()}] {r.GetProperty("message").GetString()}");
                }

                if (following)
                {
                    try
                    {
                        await Task.Delay(FollowInterval, ct);
                    }
                    catch (OperationCanceledException)
                    {
                        return ApiConnection.Ok;
                    }
                }
            }
            while (following && !ct.IsCancellationRequested);

            return ApiConnection.Ok;
        }));
        return command;
    }
}
