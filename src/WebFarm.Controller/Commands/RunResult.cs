namespace WebFarm.Controller.Commands;

/// <summary>One server's part of a `webfarm run` (POST /api/run).</summary>
/// <param name="ExitCode">Null when the command did not run to its exit (see <paramref name="Error"/>).</param>
public sealed record RunResult(string Server, int? ExitCode, string Output, string? Error);
