namespace WebFarm.State.Storage;

/// <summary>One client's WATCHed keys (WATCH ... EXEC check-and-set). Mutated only under the store lock.</summary>
internal sealed class KeyWatches
{
    public List<WatchedKey> Keys { get; } = [];

    /// <summary>Set when a watched key was modified, expired, evicted or flushed: the next EXEC answers nil.</summary>
    public bool Dirty { get; set; }

    public bool Contains(ReadOnlySpan<byte> key)
    {
        foreach (var watched in Keys)
        {
            if (watched.Key.AsSpan().SequenceEqual(key))
            {
                return true;
            }
        }

        return false;
    }
}
