using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Farms;

namespace WebFarm.Controller.Rotation;

/// <summary>
/// Keeps the external balancers in step with the controller's runtime while this controller leads: one loop per
/// balancer (a slow or dead one never delays the others), woken by every change of the runtime (servers added or
/// removed, farms reloaded, any state, weight or health event) and every <see cref="Interval"/> regardless. Stopping
/// it changes nothing on the balancers: they keep serving their last configuration.
/// </summary>
public sealed class BalancerSync : IAsyncDisposable
{
    private readonly BalancerRuntime _runtime;
    private readonly IReadOnlyList<ExternalBalancer> _balancers;
    private readonly TimeProvider _time;
    private CancellationTokenSource? _running;
    private Task _loops = Task.CompletedTask;
    private long _removalsFromTicks = long.MaxValue; // UTC ticks; read by every balancer loop.

    public BalancerSync(BalancerRuntime runtime, IReadOnlyList<ExternalBalancer> balancers, TimeSpan interval, TimeProvider? time = null)
    {
        _runtime = runtime;
        _balancers = balancers;
        Interval = interval;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The longest a balancer that came back, or was changed by hand, waits for its next round.</summary>
    public TimeSpan Interval { get; }

    public IReadOnlyList<ExternalBalancer> Balancers => _balancers;

    /// <summary>
    /// Starts driving the balancers. Removals wait <paramref name="settle"/> (one lost-detection window): a new
    /// leader's runtime holds only the servers whose agents have heartbeated since, and removing the others from the
    /// balancers would take a healthy farm out of service because the controller restarted.
    /// </summary>
    public void Start(TimeSpan settle)
    {
        if (_balancers.Count == 0 || _running is not null)
        {
            return;
        }

        Volatile.Write(ref _removalsFromTicks, (_time.GetUtcNow() + settle).UtcTicks);
        var running = new CancellationTokenSource();
        _running = running;
        _runtime.Changed += OnChanged;
        var loops = new List<Task>(_balancers.Count + 1) { Task.Run(() => WatchEventsAsync(running.Token)) };
        foreach (var balancer in _balancers)
        {
            loops.Add(Task.Run(() => balancer.RunAsync(() => DesiredRotation.From(_runtime), MayRemove, Interval, running.Token)));
        }

        _loops = Task.WhenAll(loops);
    }

    /// <summary>Stops the loops (the controller steps down or stops); the balancers are left as they are.</summary>
    public async Task StopAsync()
    {
        var running = Interlocked.Exchange(ref _running, null);
        if (running is null)
        {
            return;
        }

        _runtime.Changed -= OnChanged;
        await running.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loops.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        running.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        foreach (var balancer in _balancers)
        {
            balancer.Dispose();
        }
    }

    private bool MayRemove() => _time.GetUtcNow().UtcTicks >= Volatile.Read(ref _removalsFromTicks);

    private void OnChanged(BalancerRuntime runtime) => NudgeAll();

    private void NudgeAll()
    {
        foreach (var balancer in _balancers)
        {
            balancer.Nudge();
        }
    }

    private async Task WatchEventsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in _runtime.Events.SubscribeAsync(_runtime.Events.LastSequence, cancellationToken).ConfigureAwait(false))
            {
                NudgeAll();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
