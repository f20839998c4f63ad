namespace WebFarm.State.Commands;

[Flags]
internal enum CommandFlags
{
    None = 0,

    /// <summary>Changes data: refused on replicas.</summary>
    Write = 1,

    ReadOnly = 2,

    /// <summary>Allowed before AUTH (AUTH, HELLO, QUIT).</summary>
    NoAuth = 4,

    /// <summary>Runs immediately inside MULTI instead of being queued (EXEC, DISCARD, MULTI, QUIT).</summary>
    NoQueue = 8,

    Admin = 16,

    Fast = 32,

    /// <summary>
    /// May need memory (Redis's denyoom): under maxmemory the executor makes room first (evicting per policy)
    /// or refuses it with OOM, also when it would be queued in MULTI.
    /// </summary>
    DenyOom = 64,

    /// <summary>Allowed while the client has subscriptions (RESP2): (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING, QUIT, RESET.</summary>
    PubSubContext = 128,
}
