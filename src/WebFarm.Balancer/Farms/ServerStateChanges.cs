using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// Changes to one server that do not change the farm's view: administrative state (online, offline, drain),
/// live weight and health verdicts, with Application Center's events and the save to servers.json (a verdict's save
/// runs off the thread that gave it: <see cref="BalancerRuntime.SaveStatesSoon"/>).
/// </summary>
internal sealed class ServerStateChanges
{
    private readonly BalancerRuntime _runtime;
    private readonly object _changeLock;

    public ServerStateChanges(BalancerRuntime runtime, object changeLock)
    {
        _runtime = runtime;
        _changeLock = changeLock;
    }

    private EventStream Events => _runtime.Events;

    public void SetState(string farm, string name, ServerState state)
    {
        var server = _runtime.GetServer(farm, name);
        ServerState previous;
        lock (_changeLock)
        {
            previous = server.State;
            if (previous == state)
            {
                return;
            }

            if (state == ServerState.Draining)
            {
                server.DrainCompletion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (state == ServerState.Online)
            {
                SlowStart.Begin(server, _runtime.GetFarm(farm).Options);
            }

            if (state == ServerState.Offline)
            {
                Events.Publish(farm, server.Name, EventKind.GoingOffline, $"server {server.Name} going offline ({server.InFlight} request(s) in flight)");
            }
            else if (state == ServerState.Online)
            {
                Events.Publish(farm, server.Name, EventKind.GoingOnline, $"server {server.Name} going online");
            }

            server.State = state;
            _runtime.SaveStates();
        }

        switch (state)
        {
            case ServerState.Online:
                Events.Publish(farm, server.Name, EventKind.Online, server.Healthy ? $"server {server.Name} is online" : $"server {server.Name} is online but unhealthy: it takes traffic once healthy");
                break;
            case ServerState.Offline:
                Events.Publish(farm, server.Name, EventKind.Offline, $"server {server.Name} is offline");
                break;
            case ServerState.Draining:
                Events.Publish(farm, server.Name, EventKind.Draining, $"server {server.Name} is draining: no new requests, {server.InFlight} in flight");
                CheckDrained(server);
                break;
        }

        // Leaving Draining releases anyone waiting for the drain (it will not complete now).
        if (previous == ServerState.Draining && state != ServerState.Draining)
        {
            server.DrainCompletion?.TrySetResult();
        }
    }

    public void SetWeight(string farm, string name, int weight)
    {
        if (!ConfigValidator.IsValidWeight(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "weights go from 0 to 10000");
        }

        var server = _runtime.GetServer(farm, name);
        int previous;
        lock (_changeLock)
        {
            previous = server.Weight;
            if (previous == weight)
            {
                return;
            }

            server.Weight = weight;
            _runtime.SaveStates();
        }

        Events.Publish(farm, server.Name, EventKind.WeightChanged, $"server {server.Name} weight {previous} -> {weight}");
    }

    public Task WaitDrainedAsync(string farm, string name, CancellationToken cancellationToken)
    {
        var server = _runtime.GetServer(farm, name);
        if (server.State != ServerState.Draining)
        {
            throw new InvalidOperationException($"server '{name}' in farm '{farm}' is {server.State}, not Draining");
        }

        var completion = server.DrainCompletion;
        if (completion is null || server.InFlight == 0)
        {
            return Task.CompletedTask;
        }

        return completion.Task.WaitAsync(cancellationToken);
    }

    public async Task DrainThenOfflineAsync(string farm, string name, CancellationToken cancellationToken)
    {
        SetState(farm, name, ServerState.Draining);
        var server = _runtime.GetServer(farm, name);
        await WaitDrainedAsync(farm, name, cancellationToken).ConfigureAwait(false);
        var options = _runtime.GetFarm(farm).Options;
        if (options.Affinity.Mode != AffinityMode.None && server.DrainingSince is { } since)
        {
            var remaining = since + options.Affinity.DrainTimeout - DateTimeOffset.UtcNow;
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
            }
        }

        // Bound clients may have started requests during the drain timeout: let them finish too.
        while (server.InFlight > 0 && server.State == ServerState.Draining)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        if (server.State == ServerState.Draining && ReferenceEquals(_runtime.GetFarm(farm).FindServer(name), server))
        {
            SetState(farm, name, ServerState.Offline);
        }
    }

    public void SetHealth(ServerRuntime server, bool healthy, string reason)
    {
        if (server.Healthy == healthy)
        {
            return;
        }

        if (healthy && _runtime.Snapshot.Farms.TryGetValue(server.Farm, out var farm))
        {
            SlowStart.Begin(server, farm.Options);
        }

        server.Healthy = healthy;
        _runtime.SaveStatesSoon();
        PublishHealth(server, healthy, reason);
    }

    /// <summary>The event of a health verdict: <c>rejoined</c> or <c>failed</c>, with the reason (also for a server added unhealthy).</summary>
    public void PublishHealth(ServerRuntime server, bool healthy, string reason)
        => Events.Publish(
            server.Farm,
            server.Name,
            healthy ? EventKind.Rejoined : EventKind.Failed,
            healthy ? $"server {server.Name} rejoined: {reason}" : $"server {server.Name} failed: {reason}");

    /// <summary>Raises FinishedDraining when a draining server has no request in flight (once per drain).</summary>
    public void CheckDrained(ServerRuntime server)
    {
        if (server.InFlight == 0 && server.State == ServerState.Draining && server.DrainCompletion is { } completion && completion.TrySetResult())
        {
            Events.Publish(server.Farm, server.Name, EventKind.FinishedDraining, $"server {server.Name} finished draining: no request in flight");
        }
    }
}
