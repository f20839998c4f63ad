namespace WebFarm.Controller.Deployments;

/// <summary>One server's progress in a deployment.</summary>
/// <param name="Server">The server's name.</param>
/// <param name="Phase">A <see cref="DeploymentPhase"/> name: waiting, installing, starting, gating, swapping,
/// draining, stopping, done, failed, rolling-back, rolled-back.</param>
/// <param name="PhaseSince">When it entered the phase.</param>
/// <param name="Release">The release this server serves now (the old one until its swap, then the new one).</param>
/// <param name="Error">Why it failed (its phase says where).</param>
/// <param name="Output">The app's last output lines on this server when it failed (from the agent's trace).</param>
public sealed record DeploymentServer(
    string Server,
    string Phase,
    DateTimeOffset PhaseSince,
    long? Release,
    string? Error,
    IReadOnlyList<string> Output);
