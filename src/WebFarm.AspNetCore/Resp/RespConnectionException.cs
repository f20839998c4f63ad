namespace WebFarm.AspNetCore.Resp;

/// <summary>The server could not be reached, refused the handshake, or the connection broke.</summary>
public sealed class RespConnectionException : RespException
{
    /// <summary>Creates an exception with a message.</summary>
    public RespConnectionException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    public RespConnectionException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
