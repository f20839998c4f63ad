namespace WebFarm.AspNetCore.Resp;

/// <summary>A command got no reply within <see cref="RespClientOptions.CommandTimeout"/>.</summary>
public sealed class RespTimeoutException : RespException
{
    /// <summary>Creates an exception with a message.</summary>
    public RespTimeoutException(string message) : base(message)
    {
    }
}
