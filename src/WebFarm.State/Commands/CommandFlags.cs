namespace WebFarm.State.Commands;

[Flags]
internal enum CommandFlags
{
    None = 0,

    /// <summary>Changes data: refused on replicas, followed by eviction when over maxmemory.</summary>
    Write = 1,

    ReadOnly = 2,

    /// <summary>Allowed before AUTH (AUTH, HELLO, QUIT).</summary>
    NoAuth = 4,

    /// <summary>Runs immediately inside MULTI instead of being queued (EXEC, DISCARD, MULTI, QUIT).</summary>
    NoQueue = 8,

    Admin = 16,

    Fast = 32,

    /// <summary>Allowed while the client has subscriptions (RESP2): (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING, QUIT, RESET.</summary>
    PubSubContext = 128,
}
