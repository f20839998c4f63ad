namespace WebFarm.AspNetCore.Resp;

/// <summary>
/// A write was applied by the master but fewer replicas than required confirmed it (<c>WAIT</c>) in time: it could be
/// lost if the master died now, so it is not reported as done.
/// </summary>
public sealed class RespReplicationException : RespException
{
    /// <summary>Creates an exception with a message.</summary>
    public RespReplicationException(string message) : base(message)
    {
    }
}
