namespace WebFarm.State.PubSub;

/// <summary>Redis's notify-keyspace-events classes (same letters, same meaning).</summary>
[Flags]
internal enum KeyspaceEventTypes
{
    None = 0,

    /// <summary>K: publish on __keyspace@0__:&lt;key&gt; with the event as the message.</summary>
    Keyspace = 1 << 0,

    /// <summary>E: publish on __keyevent@0__:&lt;event&gt; with the key as the message.</summary>
    Keyevent = 1 << 1,

    /// <summary>g: DEL, EXPIRE, RENAME, PERSIST, ...</summary>
    Generic = 1 << 2,

    /// <summary>$: string commands.</summary>
    String = 1 << 3,

    /// <summary>l: list commands (no list type here; accepted for compatibility).</summary>
    List = 1 << 4,

    /// <summary>s: set commands (accepted for compatibility).</summary>
    Set = 1 << 5,

    /// <summary>h: hash commands.</summary>
    Hash = 1 << 6,

    /// <summary>z: sorted-set commands (accepted for compatibility).</summary>
    SortedSet = 1 << 7,

    /// <summary>x: a key expired (lazily on access or by the active expiry cycle).</summary>
    Expired = 1 << 8,

    /// <summary>e: a key was evicted under maxmemory.</summary>
    Evicted = 1 << 9,

    /// <summary>t: stream commands (accepted for compatibility).</summary>
    Stream = 1 << 10,

    /// <summary>m: key misses (accepted; not generated, as Redis excludes it from A too).</summary>
    KeyMiss = 1 << 11,

    /// <summary>d: module events (accepted for compatibility).</summary>
    Module = 1 << 12,

    /// <summary>n: a new key was created (accepted; not generated).</summary>
    New = 1 << 13,

    /// <summary>A: alias for g$lshzxetd.</summary>
    All = Generic | String | List | Set | Hash | SortedSet | Expired | Evicted | Stream | Module,
}
