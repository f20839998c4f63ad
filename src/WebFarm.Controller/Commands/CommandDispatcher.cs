using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using WebFarm.Agent.Control;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Api;

namespace WebFarm.Controller.Commands;

/// <summary>
/// `webfarm run`: hands a command to the chosen servers' agents with their heartbeat answers and collects each exit
/// code and output from their next heartbeats. Every chosen server must be known and its agent started with
/// --allow-commands, else nothing is sent anywhere (409 naming the servers).
/// </summary>
public sealed class CommandDispatcher(AgentRegistry registry)
{
    /// <summary>On top of the command's own timeout: the heartbeats that carry it there and its result back.</summary>
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, List<(CommandRequest Request, TaskCompletionSource<CommandResult> Result)>> _pending = new(StringComparer.Ordinal);

    /// <param name="servers">Server names; empty: every joined server.</param>
    /// <exception cref="ApiException">404 for an unknown server; 409 when an agent does not allow commands.</exception>
    public async Task<List<RunResult>> RunAsync(IReadOnlyList<string> servers, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
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

        var waits = new List<(string Server, Task<CommandResult> Result)>();
        foreach (var name in names)
        {
            var request = new CommandRequest(Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant(), command, timeout.TotalSeconds);
            var result = new TaskCompletionSource<CommandResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            var queue = _pending.GetOrAdd(name, _ => []);
            lock (queue)
            {
                queue.Add((request, result));
            }

            waits.Add((name, result.Task));
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout + Delivery);
        var results = new List<RunResult>(waits.Count);
        foreach (var (server, wait) in waits)
        {
            try
            {
                var r = await wait.WaitAsync(deadline.Token).ConfigureAwait(false);
                results.Add(new RunResult(server, r.ExitCode, r.Output, r.Error));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                results.Add(new RunResult(server, null, string.Empty, string.Create(CultureInfo.InvariantCulture, $"no result within {(timeout + Delivery).TotalSeconds:0} s (is its agent lost?)")));
            }
        }

        foreach (var (server, _) in waits)
        {
            if (_pending.TryGetValue(server, out var queue))
            {
                lock (queue)
                {
                    queue.RemoveAll(p => waits.Exists(w => w.Result == p.Result.Task)); // Those that never answered.
                }
            }
        }

        return results;
    }

    /// <summary>Called with each heartbeat: completes the runs whose results arrived; returns the commands still to run.</summary>
    public List<CommandRequest>? Exchange(string server, IReadOnlyList<CommandResult>? results)
    {
        if (!_pending.TryGetValue(server, out var queue))
        {
            return null;
        }

        lock (queue)
        {
            foreach (var result in results ?? [])
            {
                var index = queue.FindIndex(p => p.Request.Id == result.Id);
                if (index >= 0)
                {
                    queue[index].Result.TrySetResult(result);
                    queue.RemoveAt(index);
                }
            }

            return queue.Count == 0 ? null : [.. queue.Select(p => p.Request)];
        }
    }
}
