namespace WebFarm.Output;

/// <summary>
/// The exit codes of every `webfarm` command, one table for all (docs/cli.md): scripts can tell "the farm said no"
/// from "I typed it wrong".
/// </summary>
internal static class ExitCodes
{
    /// <summary>Done; for a check (`servers verify`, `balancer --check`), the verdict is good.</summary>
    public const int Ok = 0;

    /// <summary>
    /// The API or the remote side failed or refused: unreachable, timed out, an error status, an unhealthy verdict, a
    /// command that failed on a server, a role that could not start.
    /// </summary>
    public const int Failed = 1;

    /// <summary>Bad arguments or configuration, found before anything was changed: the parser's errors, invalid values, an invalid config file.</summary>
    public const int BadArguments = 2;
}
