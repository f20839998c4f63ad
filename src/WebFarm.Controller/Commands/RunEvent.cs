namespace WebFarm.Controller.Commands;

/// <summary>
/// One event of a streamed `webfarm run` (POST /api/run with Accept: application/x-ndjson, one JSON object per line):
/// a line a server's command printed (<see cref="Output"/>), or how it ended (<see cref="Exit"/>: the exit code, or
/// null and the reason). A server's exit event follows all its output events.
/// </summary>
public sealed record RunEvent(string Server, string Kind, string? Line, int? ExitCode, string? Error)
{
    public const string Output = "output";

    public const string Exit = "exit";
}
