namespace WebFarm.Agent.Control;

/// <summary>
/// One line a `webfarm run` command printed (stdout or stderr, as they came), sent with the next heartbeat so the
/// controller streams it to the operator while the command still runs.
/// </summary>
/// <param name="Id">The command's id (<see cref="CommandRequest.Id"/>).</param>
/// <param name="Seq">The line's number in the command's output, from 0: a heartbeat sent again after a lost answer
/// carries lines the controller already has, and it drops them by number.</param>
/// <param name="Line">The line, without its end.</param>
public sealed record CommandOutput(string Id, long Seq, string Line);
