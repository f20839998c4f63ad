using System.Globalization;
using System.Text;
using WebFarm.Agent.Control;
using WebFarm.Balancer.Dashboard;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Rotation;

namespace WebFarm.Controller.Dashboard;

/// <summary>
/// The controller dashboard's live values: the in-process balancer's cells (<see cref="DashboardCells"/>, keyed
/// farm|server|field: state, health, weight, in flight, latency of every server in every farm, the app instances
/// included, since an app is a farm) plus what only the controller knows, keyed with farm names the balancer refuses
/// ("@agent|server|field": agent state, heartbeat age, reported load; "@instance|server/app|field": the agent's report
/// of an app instance). The script refreshes them every 2 s like the balancer's.
/// </summary>
internal static class FarmCells
{
    public const string Agent = "@agent";
    public const string Instance = "@instance";

    private static readonly string[] s_units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary>Names what the overview's tables list; when it changes the script fetches the tables again.</summary>
    public static string Structure(LeaderRole role, FarmRotation rotation)
    {
        var text = new StringBuilder(DashboardCells.Structure(rotation.Runtime));
        foreach (var agent in role.Agents.List())
        {
            text.Append('@').Append(agent.Name).Append(':');
            if (role.Agents.Find(agent.Name) is { } tracked)
            {
                lock (tracked.Lock)
                {
                    foreach (var instance in tracked.Instances)
                    {
                        text.Append(instance.App).Append(',');
                    }
                }
            }

            text.Append(';');
        }

        foreach (var app in role.Apps.Apps)
        {
            text.Append('#').Append(app.Name).Append(';');
        }

        return text.ToString();
    }

    public static Dictionary<string, DashboardCells.Cell> All(LeaderRole role, FarmRotation rotation, MetricsHistory history, DateTimeOffset now)
    {
        var cells = DashboardCells.All(rotation.Runtime, history);
        foreach (var agent in role.Agents.List())
        {
            AddAgent(cells, agent, now);
            if (role.Agents.Find(agent.Name) is not { } tracked)
            {
                continue;
            }

            lock (tracked.Lock)
            {
                foreach (var instance in tracked.Instances)
                {
                    AddInstance(cells, agent, instance, tracked.InRotation.Contains(instance.App));
                }
            }
        }

        return cells;
    }

    public static string InstanceKey(string server, string app, string field) => DashboardCells.Key(Instance, server + "/" + app, field);

    public static string AgentKey(string server, string field) => DashboardCells.Key(Agent, server, field);

    private static void AddAgent(Dictionary<string, DashboardCells.Cell> cells, AgentInfo agent, DateTimeOffset now)
    {
        var state = agent.State.ToString().ToLowerInvariant();
        var lost = agent.State == AgentState.Lost;
        cells[AgentKey(agent.Name, "row")] = new(string.Empty, lost ? "unavailable" : "");
        cells[AgentKey(agent.Name, "state")] = new(state, agent.State switch { AgentState.Ready => "ok", AgentState.Lost => "bad", _ => "warn" });
        cells[AgentKey(agent.Name, "detail")] = new(agent.Detail);
        cells[AgentKey(agent.Name, "heartbeat")] = agent.LastHeartbeat is { } last
            ? new(Age(now - last), lost ? "bad" : "")
            : new("none yet", lost ? "bad" : "warn");
        var load = agent.Load;
        cells[AgentKey(agent.Name, "cpu")] = load is null ? new("–") : new(Percent(load.CpuPercent), load.CpuPercent >= 90 ? "bad" : load.CpuPercent >= 70 ? "warn" : "");
        cells[AgentKey(agent.Name, "memory")] = load is null || load.MemoryTotalBytes <= 0
            ? new("–")
            : new($"{Bytes(load.MemoryUsedBytes)} of {Bytes(load.MemoryTotalBytes)}", load.MemoryUsedBytes >= load.MemoryTotalBytes * 0.9 ? "bad" : "");
        cells[AgentKey(agent.Name, "load")] = load is null ? new("–") : new(string.Create(CultureInfo.InvariantCulture, $"{load.LoadAverage1:0.00} {load.LoadAverage5:0.00} {load.LoadAverage15:0.00}"));
    }

    private static void AddInstance(Dictionary<string, DashboardCells.Cell> cells, AgentInfo agent, InstanceReport instance, bool inRotation)
    {
        var lost = agent.State == AgentState.Lost;
        cells[InstanceKey(agent.Name, instance.App, "process")] = lost
            ? new("unknown (agent lost)", "bad")
            : new(instance.State, instance.State == "running" ? "ok" : instance.State is "starting" or "stopping" ? "warn" : "bad");
        cells[InstanceKey(agent.Name, instance.App, "port")] = new(instance.Port == 0 ? "–" : instance.Port.ToString(CultureInfo.InvariantCulture));
        cells[InstanceKey(agent.Name, instance.App, "pid")] = new(instance.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "–");
        cells[InstanceKey(agent.Name, instance.App, "healthy")] = new(instance.Healthy ? "healthy" : "unhealthy", instance.Healthy ? "ok" : "bad");
        cells[InstanceKey(agent.Name, instance.App, "rotation")] = new(inRotation ? "yes" : "no", inRotation ? "ok" : "warn");
        cells[InstanceKey(agent.Name, instance.App, "cpu")] = new(Percent(instance.CpuPercent));
        cells[InstanceKey(agent.Name, instance.App, "memory")] = new(instance.MemoryBytes <= 0 ? "–" : Bytes(instance.MemoryBytes));
        cells[InstanceKey(agent.Name, instance.App, "restarts")] = new(instance.Restarts.ToString(CultureInfo.InvariantCulture), instance.Restarts > 0 ? "warn" : "");
        cells[InstanceKey(agent.Name, instance.App, "detail")] = new(instance.Detail);
    }

    /// <summary>"0.4 s ago", "12 s ago", "3 min ago".</summary>
    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age.TotalSeconds < 10
            ? string.Create(CultureInfo.InvariantCulture, $"{age.TotalSeconds:0.0} s ago")
            : age.TotalMinutes < 2 ? string.Create(CultureInfo.InvariantCulture, $"{age.TotalSeconds:0} s ago") : DashboardFragments.Duration(age) + " ago";
    }

    private static string Percent(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " %";

    /// <summary>Binary units, as free(1) and /proc/meminfo readers show them.</summary>
    public static string Bytes(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < s_units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString(value >= 100 || unit == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + s_units[unit];
    }
}
