using System.Globalization;
using Microsoft.Extensions.Logging;

namespace WebFarm.Controller.Leadership;

/// <summary>
/// Keeps a controller leading or standing by, once per <c>interval</c>: a standby tries the <see cref="ILeaderLock"/>
/// and otherwise learns who leads; a leader confirms it still holds the lock and steps down the moment it cannot.
/// Leading means running what only the leader may run (lost detection, driving the balancer, availability): started
/// by <c>lead</c> after the lock is taken, stopped by <c>stepDown</c> before anything else. <see cref="View"/> is what
/// the API answers with.
/// </summary>
public sealed class LeaderElection : IAsyncDisposable
{
    private readonly ILeaderLock _lock;
    private readonly string _self;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<CancellationToken, Task> _lead;
    private readonly Func<Task> _stepDown;
    private readonly CancellationTokenSource _stop = new();
    private LeaderView _view = new(false, null, "starting");
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    /// <param name="self">This controller's advertised API URL.</param>
    /// <param name="lead">Starts leading; an exception gives the lock back (logged) and the next round tries again.</param>
    /// <param name="stepDown">Stops leading; must not throw.</param>
    public LeaderElection(ILeaderLock leaderLock, string self, TimeSpan interval, ILogger logger, Func<CancellationToken, Task> lead, Func<Task> stepDown, TimeProvider? time = null)
    {
        _lock = leaderLock;
        _self = self;
        _interval = interval;
        _logger = logger;
        _lead = lead;
        _stepDown = stepDown;
        _time = time ?? TimeProvider.System;
    }

    public LeaderView View => Volatile.Read(ref _view);

    public string Self => _self;

    /// <summary>One round now (a sole controller leads before this returns), then one per interval in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RoundAsync(cancellationToken).ConfigureAwait(false);
        _loop = RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (View.IsLeader)
        {
            await _stepDown().ConfigureAwait(false);
        }

        await _lock.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                await RoundAsync(_stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task RoundAsync(CancellationToken cancellationToken)
    {
        if (View.IsLeader)
        {
            if (await _lock.IsHeldAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            _logger.LogError("Controller {Self} lost the leader lock (its store session ended or did not answer in time); stepping down: the balancer keeps its last configuration", _self);
            await _stepDown().ConfigureAwait(false);
            Set(new LeaderView(false, null, "stepped down: the leader lock's session ended or did not answer; trying to lead again"));
            return;
        }

        try
        {
            if (await _lock.TryAcquireAsync(_self, cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await _lead(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    _logger.LogError(ex, "Controller {Self} took the leader lock but could not start leading; giving it back", _self);
                    await _lock.ReleaseAsync().ConfigureAwait(false);
                    Set(new LeaderView(false, null, $"could not start leading: {ex.Message}"));
                    return;
                }

                Set(new LeaderView(true, _self, string.Create(CultureInfo.InvariantCulture, $"leading since {_time.GetUtcNow():O}")));
                _logger.LogInformation("Controller {Self} leads", _self);
                return;
            }

            var leader = await _lock.FindLeaderAsync(cancellationToken).ConfigureAwait(false);
            Set(new LeaderView(false, leader, leader is null ? "standby: no controller holds the leader lock at this moment" : $"standby: {leader} leads"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Set(new LeaderView(false, null, $"no leader known: the store cannot be reached ({ex.Message})"));
        }
    }

    private void Set(LeaderView view)
    {
        var previous = Interlocked.Exchange(ref _view, view);
        if (!view.IsLeader && !string.Equals(previous.Detail, view.Detail, StringComparison.Ordinal))
        {
            _logger.LogInformation("Controller {Self}: {Detail}", _self, view.Detail);
        }
    }
}
