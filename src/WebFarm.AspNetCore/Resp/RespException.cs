namespace WebFarm.AspNetCore.Resp;

/// <summary>Base type of every failure the RESP client reports.</summary>
public class RespException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public RespException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    public RespException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
