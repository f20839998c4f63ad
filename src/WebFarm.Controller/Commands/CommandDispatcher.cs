using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using WebFarm.Agent.Control;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Api;

namespace WebFarm.Controller.Commands;

/// <summary>
/// `webfarm run`: hands a command to the chosen servers' agents with their heartbeat answers, relays each line of
/// output their next heartbeats carry as it comes (<see cref="Start"/>: a stream of <see cref="RunEvent"/>s), then
/// each exit code. Every chosen server must be known and its agent started with --allow-commands, else nothing is
/// sent anywhere (409 naming the servers).
/// </summary>
public sealed class CommandDispatcher(AgentRegistry registry)
{
    /// <summary>On top of the command's own timeout: the heartbeats that carry it there and its result back.</summary>
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, List<Pending>> _pending = new(StringComparer.Ordinal);

    /// <summary>Runs the command and collects each server's output and exit (the whole-answer form of <see cref="Start"/>).</summary>
    /// <param name="servers">Server names; empty: every joined server.</param>
    /// <exception cref="ApiException">404 for an unknown server; 409 when an agent does not allow commands.</exception>
    public async Task<List<RunResult>> RunAsync(IReadOnlyList<string> servers, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (names, events) = Start(servers, command, timeout, cancellationToken);
        var output = names.ToDictionary(n => n, _ => new StringBuilder(), StringComparer.Ordinal);
        var results = new Dictionary<string, RunResult>(StringComparer.Ordinal);
        await foreach (var e in events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (e.Kind == RunEvent.Output)
            {
                output[e.Server].Append(e.Line).Append('\n');
            }
            else
            {
                results[e.Server] = new RunResult(e.Server, e.ExitCode, output[e.Server].ToString(), e.Error);
            }
        }

        return [.. names.Select(n => results[n])];
    }

    /// <summary>
    /// Checks the servers, queues the command for each and returns at once with the servers (in order) and a stream of
    /// their output lines as the heartbeats bring them, each server's exit after its lines, and for a server whose
    /// result does not come within the timeout plus <see cref="Delivery"/> an exit that says so. The stream ends when
    /// every server has its exit (or <paramref name="cancellationToken"/> ends the run).
    /// </summary>
    /// <param name="servers">Server names; empty: every joined server.</param>
    /// <exception cref="ApiException">404 for an unknown server; 409 when an agent does not allow commands.</exception>
    public (List<string> Servers, ChannelReader<RunEvent> Events) Start(IReadOnlyList<string> servers, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var names = servers.Count == 0 ? [.. registry.Names.Order(StringComparer.Ordinal)] : servers.Distinct(StringComparer.Ordinal).ToList();
        var refusing = new List<string>();
        foreach (var name in names)
        {
            var server = registry.Find(name) ?? throw new ApiException(404, $"servers: no server named '{name}' has joined (servers: {string.Join(", ", registry.Names.Order(StringComparer.Ordinal))})");
            lock (server.Lock)
            {
                if (!server.AllowCommands)
                {
                    refusing.Add(name);
                }
            }
        }

        if (names.Count == 0)
        {
            throw new ApiException(409, "servers: no server has joined");
        }

        if (refusing.Count > 0)
        {
            throw new ApiException(409, $"servers: the agent of {string.Join(", ", refusing)} was not started with --allow-commands (commands are off by default); nothing was run");
        }

        // Unbounded: each agent sends at most its command's first 64 K characters, and the reader is the API call. Not
        // SingleReader: that channel's reader cannot count, and the streaming endpoint flushes when nothing waits.
        var events = Channel.CreateUnbounded<RunEvent>();
        var runs = new List<Pending>(names.Count);
        foreach (var name in names)
        {
            var pending = new Pending(name, new CommandRequest(Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant(), command, timeout.TotalSeconds), events.Writer);
            var queue = _pending.GetOrAdd(name, _ => []);
            lock (queue)
            {
                queue.Add(pending);
            }

            runs.Add(pending);
        }

        _ = Task.Run(() => FinishAsync(runs, events.Writer, timeout + Delivery, cancellationToken), CancellationToken.None);
        return (names, events.Reader);
    }

    /// <summary>
    /// Called with each heartbeat: relays the output lines it carries, completes the runs whose results arrived;
    /// returns the commands still to run.
    /// </summary>
    public List<CommandRequest>? Exchange(string server, IReadOnlyList<CommandResult>? results, IReadOnlyList<CommandOutput>? output = null)
    {
        if (!_pending.TryGetValue(server, out var queue))
        {
            return null;
        }

        lock (queue)
        {
            foreach (var line in output ?? [])
            {
                var pending = queue.Find(p => p.Request.Id == line.Id);
                if (pending is not null && line.Seq >= pending.NextSeq)
                {
                    // A heartbeat sent again after a lost answer repeats lines: each is relayed once, in order.
                    pending.NextSeq = line.Seq + 1;
                    pending.Events.TryWrite(new RunEvent(server, RunEvent.Output, line.Line, null, null));
                }
            }

            foreach (var result in results ?? [])
            {
                var index = queue.FindIndex(p => p.Request.Id == result.Id);
                if (index >= 0)
                {
                    // Its lines were relayed above or by earlier heartbeats (the agent sends a result after its lines).
                    queue[index].Events.TryWrite(new RunEvent(server, RunEvent.Exit, null, result.ExitCode, result.Error));
                    queue[index].Done.TrySetResult();
                    queue.RemoveAt(index);
                }
            }

            return queue.Count == 0 ? null : [.. queue.Select(p => p.Request)];
        }
    }

    private async Task FinishAsync(List<Pending> runs, ChannelWriter<RunEvent> events, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            await Task.WhenAll(runs.Select(r => r.Done.Task)).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Some never answered (or the caller went away): their exit says so, and they are forgotten.
        }

        foreach (var run in runs)
        {
            if (!_pending.TryGetValue(run.Server, out var queue))
            {
                continue;
            }

            lock (queue)
            {
                if (queue.Remove(run) && !cancellationToken.IsCancellationRequested)
                {
                    events.TryWrite(new RunEvent(run.Server, RunEvent.Exit, null, null, string.Create(CultureInfo.InvariantCulture, $"no result within {limit.TotalSeconds:0} s (is its agent lost?)")));
                }
            }
        }

        events.TryComplete();
    }

    /// <summary>A command queued for one server: its request, where its events go, the next output line expected.</summary>
    private sealed class Pending(string server, CommandRequest request, ChannelWriter<RunEvent> events)
    {
        public string Server { get; } = server;

        public CommandRequest Request { get; } = request;

        public ChannelWriter<RunEvent> Events { get; } = events;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long NextSeq { get; set; }
    }
}
