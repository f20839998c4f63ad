using WebFarm.Agent.LocalFarm;
using WebFarm.Agent.Readiness;
using WebFarm.Agent.Supervision;
using WebFarm.Balancer.Health;

namespace WebFarm.Controller.LocalFarm;

/// <summary>
/// Chooses the app's health check for `webfarm up` before the app is defined in the controller: the one given
/// (--health-path), else the one the app's first answer on /healthz chooses (<see cref="HealthRule.FromHealthzAnswer"/>:
/// an app without a /healthz is checked with "GET / answers below 500"). The rule then goes into the app definition
/// (path and passing statuses), so the agents' health gate, the deployment's gate and the balancer's checks of the
/// app's farm all judge with it: one rule.
/// The answer comes from one instance of the app started here for that purpose (as web1, with the member library's
/// environment) and stopped as soon as it answered; it runs while the controller starts and the agents join, so its
/// cost hides behind theirs. An app that exits (or never listens) before it answered fails start-up here, with its
/// last output, before anything is deployed.
/// </summary>
internal static class HealthRuleProbe
{
    /// <exception cref="AppStartException">The instance exited or never listened before it answered.</exception>
    public static async Task<HealthRule> ChooseAsync(LocalFarmOptions options, AppLaunch app, string stateEndpoint, Action<string>? progress, CancellationToken cancellationToken)
    {
        if (options.HealthPath is { } path)
        {
            return Chosen(HealthRule.ForPath(path, "--health-path"), progress);
        }

        var name = options.ServerName(0);
        var instance = new SupervisedInstance(new SupervisedInstanceOptions
        {
            Name = name,
            Launch = app,
            Port = LoopbackPort.FindFree(),
            StopTimeout = options.StopTimeout,
            Environment = MemberLibrary.Environment(name, stateEndpoint, app.AppName, trustedProxies: "127.0.0.1"),
        });
        await using (instance.ConfigureAwait(false))
        {
            instance.Start();
            using var probe = new HealthProbe();
            var readiness = new InstanceReadiness(probe, new ReadinessOptions { ListenTimeout = options.ReadyTimeout, FailingGrace = options.FailingGrace });
            using var answered = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            HealthRule? chosen = null;
            try
            {
                var result = await readiness.WaitAsync(instance, rule: null, answered.Token, rule =>
                {
                    chosen = rule;
                    answered.Cancel(); // The answer is all this instance was started for.
                }).ConfigureAwait(false);
                if (result.Outcome is ReadinessOutcome.Exited or ReadinessOutcome.NotListening)
                {
                    throw new AppStartException(result);
                }

                chosen ??= result.Rule;
            }
            catch (OperationCanceledException) when (chosen is not null && !cancellationToken.IsCancellationRequested)
            {
                // Ended on purpose once the rule was chosen.
            }

            return Chosen(chosen ?? throw new InvalidOperationException("the readiness wait ended without an answer"), progress);
        }
    }

    private static HealthRule Chosen(HealthRule rule, Action<string>? progress)
    {
        progress?.Invoke($"health check: {rule}");
        return rule;
    }
}
