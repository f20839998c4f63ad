using System.Diagnostics;
using System.Globalization;
using WebFarm.Agent.Supervision;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Health;

namespace WebFarm.Agent.Readiness;

/// <summary>
/// Waits for a started instance to be ready, following the instance rather than a clock: the wait ends as soon as
/// its health check passes, at once when its process exits (with its last output), after
/// <see cref="ReadinessOptions.FailingGrace"/> when it answers but keeps failing its check, and after
/// <see cref="ReadinessOptions.ListenTimeout"/> only when it runs without ever accepting a connection.
/// Probes are the balancer's own (<see cref="HealthProbe"/>, judged by the same <see cref="HealthRule"/>), so the wait
/// and the balancer never disagree about an instance.
/// </summary>
public sealed class InstanceReadiness
{
    /// <summary>Before any answer: ask /healthz, judged as a health endpoint (a pass there needs no second probe).</summary>
    private static readonly HealthRule FirstProbe = HealthRule.FromHealthzAnswer(200);

    private readonly HealthProbe _probe;
    private readonly ReadinessOptions _options;

    public InstanceReadiness(HealthProbe probe, ReadinessOptions? options = null)
    {
        _probe = probe ?? throw new ArgumentNullException(nameof(probe));
        _options = options ?? new ReadinessOptions();
    }

    /// <summary>Waits for <paramref name="instance"/> (started) to be ready.</summary>
    /// <param name="rule">The check to use; null: choose it from the instance's first answer on /healthz
    /// (<see cref="HealthRule.FromHealthzAnswer"/>), returned in the result.</param>
    /// <param name="ruleChosen">Called once the instance's answer chose the rule (when <paramref name="rule"/> is null),
    /// before the wait goes on: other instances of the app can start waiting with it.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ReadinessResult> WaitAsync(SupervisedInstance instance, HealthRule? rule, CancellationToken cancellationToken, Action<HealthRule>? ruleChosen = null)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var exited = new TaskCompletionSource<InstanceStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(InstanceStateChange change)
        {
            if (change.Current == InstanceState.Crashed)
            {
                exited.TrySetResult(change);
            }
        }

        instance.StateChanged += OnChange;
        try
        {
            // Subscribed first, then checked: a crash in between is seen one way or the other.
            if (instance.LastCrash is { } crash)
            {
                exited.TrySetResult(crash);
            }

            var began = Stopwatch.GetTimestamp();
            long failingSince = 0;
            var answered = false; // Once it has accepted a connection and answered, failures count toward the grace.
            HealthProbeResult? last = null;
            while (true)
            {
                if (exited.Task.IsCompleted)
                {
                    return Result(instance, ReadinessOutcome.Exited, rule, (await exited.Task.ConfigureAwait(false)).Reason, last, withOutput: true);
                }

                var settings = (rule ?? FirstProbe).ToCheckOptions(_options.PollInterval, _options.ProbeTimeout, 1, 1);
                var result = await ProbeUnlessExitedAsync(instance.Address, settings, exited.Task, cancellationToken).ConfigureAwait(false);
                if (result is null)
                {
                    continue; // Exited during the probe: reported at the top of the loop.
                }

                last = result;
                if (result.StatusCode is { } status)
                {
                    answered = true;
                    if (rule is null)
                    {
                        rule = HealthRule.FromHealthzAnswer(status);
                        ruleChosen?.Invoke(rule);
                        if (rule.Path != settings.Path)
                        {
                            continue; // No usable /healthz: probe what the rule checks instead, right away.
                        }
                    }
                }

                if (result.Healthy)
                {
                    return Result(instance, ReadinessOutcome.Ready, rule, $"GET {settings.Path} answered {result.StatusCode}", result, withOutput: false);
                }

                if (answered)
                {
                    // It accepts connections and answers, but not well: its check may be waiting for a dependency.
                    failingSince = failingSince == 0 ? Stopwatch.GetTimestamp() : failingSince;
                    if (Stopwatch.GetElapsedTime(failingSince) >= _options.FailingGrace)
                    {
                        return Result(instance, ReadinessOutcome.Unhealthy, rule, DescribeFailing(settings.Path, result, _options.FailingGrace), result, withOutput: false);
                    }
                }
                else if (Stopwatch.GetElapsedTime(began) >= _options.ListenTimeout)
                {
                    var reason = string.Create(CultureInfo.InvariantCulture,
                        $"it runs (pid {instance.ProcessId}) but accepted no connection on {instance.Address} within {DurationParser.Format(_options.ListenTimeout)} ({result.Reason}); does the app set its own URLs instead of using ASPNETCORE_URLS?");
                    return Result(instance, ReadinessOutcome.NotListening, rule, reason, result, withOutput: true);
                }

                await Task.WhenAny(Task.Delay(_options.PollInterval, cancellationToken), exited.Task).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            instance.StateChanged -= OnChange;
        }
    }

    /// <returns>Null when the process exited first (the probe is abandoned).</returns>
    private async Task<HealthProbeResult?> ProbeUnlessExitedAsync(Uri address, HealthCheckOptions settings, Task exited, CancellationToken cancellationToken)
    {
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probe = _probe.ProbeAsync(address, settings, abandon.Token);
        if (await Task.WhenAny(probe, exited).ConfigureAwait(false) == probe)
        {
            return await probe.ConfigureAwait(false);
        }

        await abandon.CancelAsync().ConfigureAwait(false);
        try
        {
            await probe.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Abandoned on purpose.
        }

        cancellationToken.ThrowIfCancellationRequested();
        return null;
    }

    /// <summary>
    /// "GET /healthz answered 500 for 5s (status 500 not in 200-399); body: database unreachable": an instance that
    /// answers but kept failing its check for <paramref name="failingFor"/>. Said the same way by this start-up wait and
    /// by the controller's deployment gate (`webfarm up`'s console lines).
    /// </summary>
    public static string DescribeFailing(string path, HealthProbeResult result, TimeSpan failingFor)
    {
        ArgumentNullException.ThrowIfNull(result);
        var what = result.StatusCode is { } status
            ? string.Create(CultureInfo.InvariantCulture, $"GET {path} answered {status}")
            : $"GET {path} got no answer";
        var body = result.BodyExcerpt.Trim();
        var excerpt = body.Length == 0 ? string.Empty : $"; body: {(body.Length <= 120 ? body : string.Concat(body.AsSpan(0, 117), "..."))}";
        return $"{what} for {DurationParser.Format(failingFor)} ({result.Reason}){excerpt}";
    }

    private static ReadinessResult Result(SupervisedInstance instance, ReadinessOutcome outcome, HealthRule? rule, string reason, HealthProbeResult? last, bool withOutput)
        => new(instance.Name, outcome, rule, reason, withOutput ? instance.Output.Snapshot() : [], last);
}
