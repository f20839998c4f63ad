namespace WebFarm.AspNetCore.Resp;

/// <summary>The RESP2 reply types a server can send.</summary>
public enum RespValueKind : byte
{
    /// <summary>A nil bulk string or nil array (<c>$-1</c> / <c>*-1</c>).</summary>
    Null,
    /// <summary>A simple status string such as <c>+OK</c>.</summary>
    SimpleString,
    /// <summary>An error reply such as <c>-ERR unknown command</c>.</summary>
    Error,
    /// <summary>A signed 64-bit integer reply.</summary>
    Integer,
    /// <summary>A binary-safe bulk string.</summary>
    BulkString,
    /// <summary>An array of nested replies.</summary>
    Array,
}
