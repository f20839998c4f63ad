using System.Collections.Concurrent;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using WebFarm.Agent.Supervision;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Statistics;
using WebFarm.Output;

namespace WebFarm.Commands;

/// <summary>
/// What `webfarm up` shows while the farm runs. On a terminal: a live table (each server's process,
/// state, health, in-flight, requests/s, p99, restarts) over the latest events. Otherwise (piped, CI):
/// one plain line per event, for logs and scripts.
/// </summary>
internal sealed class FarmConsoleView
{
    private const int EventLines = 10;
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(500);

    private readonly FarmConsoleSource _farm;
    private readonly bool _live;
    private readonly ConcurrentQueue<string> _pending = new();
    private readonly Queue<string> _recent = new();
    private long _lastEvent;

    public FarmConsoleView(FarmConsoleSource farm, bool live)
    {
        _farm = farm;
        _live = live;
        _lastEvent = farm.Runtime.Events.LastSequence;
        farm.SubscribeInstanceChanges?.Invoke(OnInstanceChanged);
    }

    /// <summary>True when stdout is an interactive terminal that can redraw a table.</summary>
    public static bool CanRenderLive => !Console.IsOutputRedirected && CliOutput.Console.Profile.Capabilities.Interactive;

    /// <summary>
    /// Shows the farm until <paramref name="stopRequested"/> is cancelled, then keeps showing it while
    /// <paramref name="stopAsync"/> drains and stops everything, so the user sees the shutdown happen.
    /// </summary>
    public async Task RunAsync(CancellationToken stopRequested, Func<Task> stopAsync)
    {
        if (!_live)
        {
            await RunPlainAsync(stopRequested, stopAsync).ConfigureAwait(false);
            return;
        }

        await CliOutput.Console.Live(Render()).AutoClear(false).StartAsync(async context =>
        {
            while (!stopRequested.IsCancellationRequested)
            {
                Update(context);
                await Delay(stopRequested).ConfigureAwait(false);
            }

            var stopping = stopAsync();
            while (!stopping.IsCompleted)
            {
                Update(context);
                await Task.WhenAny(stopping, Task.Delay(RefreshInterval, CancellationToken.None)).ConfigureAwait(false);
            }

            Update(context);
            await stopping.ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private void Update(LiveDisplayContext context)
    {
        Collect();
        context.UpdateTarget(Render());
        context.Refresh();
    }

    private async Task RunPlainAsync(CancellationToken stopRequested, Func<Task> stopAsync)
    {
        foreach (var instance in _farm.Servers())
        {
            Console.WriteLine($"{instance.Name} online: {instance.Address} (pid {instance.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "-"})");
        }

        while (!stopRequested.IsCancellationRequested)
        {
            PrintPlain();
            await Delay(stopRequested).ConfigureAwait(false);
        }

        Console.WriteLine("stopping: draining and stopping every instance");
        var stopping = stopAsync();
        while (!stopping.IsCompleted)
        {
            PrintPlain();
            await Task.WhenAny(stopping, Task.Delay(RefreshInterval, CancellationToken.None)).ConfigureAwait(false);
        }

        await stopping.ConfigureAwait(false);
        PrintPlain();
    }

    private void PrintPlain()
    {
        Collect();
        while (_recent.TryDequeue(out var line))
        {
            Console.WriteLine(line);
        }
    }

    private static async Task Delay(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(RefreshInterval, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop condition ends the view.
        }
    }

    private void OnInstanceChanged(InstanceStateChange change)
    {
        // Starting and Running after a restart are the interesting ones; the rest is in the table.
        var line = change.Current switch
        {
            InstanceState.Crashed => $"{change.Instance} crashed: {change.Reason}",
            InstanceState.BackingOff => $"{change.Instance} {change.Reason}",
            InstanceState.Running => $"{change.Instance} running: {change.Reason}",
            InstanceState.Stopping => $"{change.Instance} stopping: draining, then SIGTERM",
            InstanceState.Stopped => $"{change.Instance} {change.Reason}",
            _ => null,
        };
        if (line is not null)
        {
            _pending.Enqueue($"{change.Time.ToLocalTime():HH:mm:ss} {line}");
        }
    }

    /// <summary>Moves new balancer events and instance changes into the recent-lines window.</summary>
    private void Collect()
    {
        foreach (var e in _farm.Runtime.Events.Since(_lastEvent))
        {
            _lastEvent = e.Sequence;
            if (e.Kind != EventKind.EventsLost)
            {
                // Messages already name the server ("server web1 failed: …").
                _pending.Enqueue($"{e.Time.ToLocalTime():HH:mm:ss} {e.Message}");
            }
        }

        while (_pending.TryDequeue(out var line))
        {
            _recent.Enqueue(line);
            while (_live && _recent.Count > EventLines)
            {
                _recent.Dequeue();
            }
        }
    }

    private IRenderable Render()
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumns("server", "process", "balancer", "in-flight", "req/s", "p99 ms", "restarts");
        for (var i = 3; i < 7; i++)
        {
            table.Columns[i].RightAligned();
        }

        var runtime = _farm.Runtime;
        var farm = runtime.Farms.TryGetValue(_farm.FarmName, out var f) ? f : null;
        foreach (var instance in _farm.Servers())
        {
            var server = farm?.FindServer(instance.Name);
            var stats = server is null ? null : ServerStatisticsSnapshot.Capture(server);
            table.AddRow(
                new Markup($"[bold]{Markup.Escape(instance.Name)}[/] [grey]:{instance.Port}[/]"),
                new Markup(ProcessCell(instance)),
                new Markup(BalancerCell(stats)),
                new Text(stats?.InFlight.ToString(CultureInfo.InvariantCulture) ?? "-"),
                new Text(stats is null ? "-" : stats.RequestsPerSecond.ToString("0.#", CultureInfo.InvariantCulture)),
                new Text(stats is null || stats.ResponseTime.Samples == 0 ? "-" : stats.ResponseTime.P99Ms.ToString("0.#", CultureInfo.InvariantCulture)),
                new Text(instance.Restarts.ToString(CultureInfo.InvariantCulture)));
        }

        var header = new Markup(
            $"[bold]WebFarm is up:[/] [grey]{Markup.Escape(_farm.Summary)} · Ctrl+C drains and stops everything[/]");
        var events = _recent.Count == 0
            ? new Markup("[grey]no events yet[/]")
            : new Markup(Markup.Escape(string.Join('\n', _recent)));
        return new Rows(header, table, new Panel(events).Header("latest events"));
    }

    /// <summary>The balancer's view: administrative state, coloured by health (red: out of rotation).</summary>
    private static string BalancerCell(ServerStatisticsSnapshot? stats)
    {
        if (stats is null)
        {
            return "[grey]removed[/]";
        }

        var state = stats.State.ToString().ToLowerInvariant();
        return stats.Healthy ? $"[green]{state}[/]" : $"[red]{state}, unhealthy[/]";
    }

    private static string ProcessCell(FarmServerRow instance) => instance.State switch
    {
        InstanceState.Running => $"pid {instance.ProcessId}",
        InstanceState.Crashed => "[red]crashed[/]",
        InstanceState.BackingOff => "[yellow]restarting…[/]",
        InstanceState.Starting => "[yellow]starting[/]",
        InstanceState.Stopping => "[yellow]stopping[/]",
        _ => "[grey]stopped[/]",
    };
}
