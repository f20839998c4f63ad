namespace WebFarm.AspNetCore.Resp;

/// <summary>Lifecycle of one socket; it only moves forward, a broken connection is replaced, never revived.</summary>
internal enum RespConnectionState
{
    Connected,
    Faulted,
}
