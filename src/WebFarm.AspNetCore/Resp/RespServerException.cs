namespace WebFarm.AspNetCore.Resp;

/// <summary>The server answered a command with an error reply (for example <c>WRONGTYPE</c> or <c>ERR</c>).</summary>
public sealed class RespServerException : RespException
{
    /// <summary>Creates an exception for the error reply <paramref name="serverMessage"/> to <paramref name="command"/>.</summary>
    public RespServerException(string command, string serverMessage)
        : base($"RESP server rejected {command}: {serverMessage}")
    {
        Command = command;
        ServerMessage = serverMessage;
    }

    /// <summary>The command that failed.</summary>
    public string Command { get; }

    /// <summary>The error text exactly as the server sent it (for example <c>WRONGTYPE Operation against a key holding the wrong kind of value</c>).</summary>
    public string ServerMessage { get; }
}
