using System.Globalization;
using System.Text;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// The live values of the overview and server pages, formatted once here: pages render them into elements marked
/// data-k="farm|server|field", and the script polls <c>/dashboard/data/cells</c> and writes the new text and class
/// into the same elements, so a refresh never moves the keyboard focus. <see cref="Structure"/> names the farms
/// and servers; when it changes (a reload, a server added or removed) the script fetches the tables again.
/// </summary>
internal static class DashboardCells
{
    public static string Structure(BalancerRuntime runtime)
    {
        var text = new StringBuilder();
        foreach (var farm in runtime.Farms.Values)
        {
            text.Append(farm.Name).Append(':');
            foreach (var server in farm.Servers)
            {
                text.Append(server.Name).Append(',');
            }

            text.Append(';');
        }

        return text.ToString();
    }

    /// <summary>Every cell of every farm and server: key → (text, class).</summary>
    public static Dictionary<string, Cell> All(BalancerRuntime runtime, MetricsHistory history)
    {
        var cells = new Dictionary<string, Cell>(StringComparer.Ordinal);
        foreach (var farm in runtime.Farms.Values)
        {
            AddFarm(cells, farm, history);
            foreach (var server in farm.Servers)
            {
                AddServer(cells, server, history);
            }
        }

        return cells;
    }

    public static string Key(string farm, string? server, string field) => $"{farm}|{server}|{field}";

    private static void AddFarm(Dictionary<string, Cell> cells, FarmRuntime farm, MetricsHistory history)
    {
        var snapshot = farm.Statistics.Snapshot(farm.Servers);
        long requests = 0, errors = 0;
        var available = 0;
        foreach (var server in farm.Servers)
        {
            foreach (var sample in history.Of(farm.Name, server.Name, TimeSpan.FromMinutes(1)))
            {
                requests += sample.Requests;
                errors += sample.Errors;
            }

            available += server.IsAvailable ? 1 : 0;
        }

        cells[Key(farm.Name, null, "rps")] = new(Rate(snapshot.RequestsPerSecond));
        cells[Key(farm.Name, null, "p99")] = new(Ms(snapshot.ResponseTime.P99Ms));
        cells[Key(farm.Name, null, "errors")] = new(Percent(requests == 0 ? 0 : (double)errors / requests), errors > 0 ? "bad" : "");
        cells[Key(farm.Name, null, "available")] = new($"{available} of {farm.Servers.Count} available", available == 0 ? "bad" : available < farm.Servers.Count ? "warn" : "ok");
        cells[Key(farm.Name, null, "panic")] = new(farm.InPanic ? "panic mode: every online server takes traffic" : "", farm.InPanic ? "bad" : "");
    }

    private static void AddServer(Dictionary<string, Cell> cells, ServerRuntime server, MetricsHistory history)
    {
        var farm = server.Farm;
        var name = server.Name;
        var statistics = server.Statistics;
        var percentiles = statistics.Percentiles;
        var errorRate = history.RecentErrorRate(farm, name);
        var state = server.State;
        cells[Key(farm, name, "row")] = new(string.Empty, server.IsAvailable ? "" : "unavailable");
        cells[Key(farm, name, "state")] = new(state.ToString(), "state-" + state.ToString().ToLowerInvariant());
        cells[Key(farm, name, "health")] = new(server.Healthy ? "healthy" : "unhealthy", server.Healthy ? "ok" : "bad");
        cells[Key(farm, name, "weight")] = new(server.Weight.ToString(CultureInfo.InvariantCulture));
        cells[Key(farm, name, "effective")] = new(Math.Round(server.EffectiveWeight, 2).ToString(CultureInfo.InvariantCulture));
        cells[Key(farm, name, "inflight")] = new(server.InFlight.ToString(CultureInfo.InvariantCulture));
        cells[Key(farm, name, "rps")] = new(Rate(statistics.RequestsPerSecond));
        cells[Key(farm, name, "errors")] = new(Percent(errorRate), errorRate > 0 ? "bad" : "");
        cells[Key(farm, name, "p50")] = new(Ms(percentiles.P50Ms));
        cells[Key(farm, name, "p99")] = new(Ms(percentiles.P99Ms));
        cells[Key(farm, name, "requests")] = new(statistics.Requests.ToString("N0", CultureInfo.InvariantCulture));
        var check = server.LastHealthCheck;
        cells[Key(farm, name, "check")] = check is null
            ? new("no active check yet")
            : new($"{(check.Healthy ? "passed" : "failed")} at {check.Time.UtcDateTime:HH:mm:ss}Z: {check.Reason}", check.Healthy ? "ok" : "bad");
    }

    private static string Rate(double value) => value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);

    private static string Ms(double value) => value <= 0 ? "–" : value.ToString(value >= 100 ? "0" : "0.0#", CultureInfo.InvariantCulture) + " ms";

    private static string Percent(double rate) => (rate * 100).ToString(rate is > 0 and < 0.001 ? "0.###" : "0.#", CultureInfo.InvariantCulture) + " %";

    /// <summary>A cell's text and CSS class.</summary>
    internal readonly record struct Cell(string Text, string Class = "");
}
