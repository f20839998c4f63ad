using System.CommandLine;
using System.Globalization;
using System.Text.Json;

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
            server, filter, follow, clear, ApiConnection.ControllerOption, ApiConnection.TokenOption,
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

            long after = 0;
            do
            {
                var path = "api/trace?" + string.Join('&', [.. query, "after=" + after.ToString(CultureInfo.InvariantCulture)]);
                using var records = await api.GetJsonAsync(path, ct);
                foreach (var r in records.RootElement.EnumerateArray())
                {
                    after = Math.Max(after, r.GetProperty("id").GetInt64());
                    Console.WriteLine($"{r.GetProperty("time").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)} {r.GetProperty("server").GetString()} [{r.GetProperty("source").GetString()}] {r.GetProperty("message").GetString()}");
                }

                if (parseResult.GetValue(follow))
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
            while (parseResult.GetValue(follow) && !ct.IsCancellationRequested);

            return ApiConnection.Ok;
        }));
        return command;
    }
}
