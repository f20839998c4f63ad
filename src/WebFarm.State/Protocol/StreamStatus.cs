namespace WebFarm.State.Protocol;

internal enum StreamStatus
{
    /// <summary>Every complete command was executed; the rest of the buffer is an incomplete command.</summary>
    NeedMore,

    /// <summary>The sink asked to stop (QUIT, output full); the rest of the buffer is still unprocessed.</summary>
    Stopped,

    /// <summary>The input is not valid RESP; the connection must be closed after replying.</summary>
    ProtocolError,
}
