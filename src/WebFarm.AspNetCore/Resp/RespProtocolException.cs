namespace WebFarm.AspNetCore.Resp;

/// <summary>The server sent bytes that are not valid RESP2; the connection is dropped.</summary>
public sealed class RespProtocolException : RespException
{
    /// <summary>Creates an exception with a message.</summary>
    public RespProtocolException(string message) : base(message)
    {
    }
}
