using WebFarm.Balancer.Health;

namespace WebFarm.Agent.Readiness;

/// <summary>The end of a start-up wait for one instance.</summary>
/// <param name="Rule">The check used: the one given, or the one the instance's answer on /healthz chose; null when the
/// instance never answered.</param>
/// <param name="Reason">In a few words: "GET / answered 200", "GET /healthz answered 500 for 5s (status 500 not in
/// 200-399)", "exited with code 3", "no connection accepted on port 5001 within 60s".</param>
/// <param name="Output">The instance's last output lines (all of them for <see cref="ReadinessOutcome.Exited"/> and
/// <see cref="ReadinessOutcome.NotListening"/>, where they explain what went wrong; empty otherwise).</param>
/// <param name="LastCheck">The last probe, null when none got an answer.</param>
public sealed record ReadinessResult(
    string Instance,
    ReadinessOutcome Outcome,
    HealthRule? Rule,
    string Reason,
    IReadOnlyList<string> Output,
    HealthProbeResult? LastCheck);
