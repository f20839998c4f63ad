namespace WebFarm.Agent.Control;

/// <summary>What a `webfarm run` command did on this server, sent with the next heartbeat.</summary>
/// <param name="ExitCode">Null when it did not run (refused, not found) or was killed at its timeout.</param>
/// <param name="Output">Empty: its lines travel as <see cref="CommandOutput"/> while it runs (kept for the record's shape).</param>
/// <param name="Error">Why it did not run or did not finish; null when it ran to its exit.</param>
public sealed record CommandResult(string Id, int? ExitCode, string Output, string? Error);
