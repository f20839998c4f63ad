namespace WebFarm.State.Storage;

/// <summary>
/// Key → the clients watching it. The keyspace reports every change of a key here (write, TTL change,
/// deletion, expiry, eviction, flush), so no command has to remember to. Empty unless someone WATCHes,
/// which keeps the cost for everybody else at one count check per change.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly Dictionary<byte[], List<WatchedKey>> _byKey = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<WatchedKey>>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public WatchRegistry() => _lookup = _byKey.GetAlternateLookup<ReadOnlySpan<byte>>();

    public bool IsEmpty => _byKey.Count == 0;

    public void Watch(KeyWatches owner, ReadOnlySpan<byte> key, bool expired)
    {
        if (owner.Contains(key))
        {
            return;
        }

        var watched = new WatchedKey(owner, key.ToArray(), expired);
        owner.Keys.Add(watched);
        if (!_lookup.TryGetValue(key, out var list))
        {
            list = [];
            _byKey.Add(watched.Key, list);
        }

        list.Add(watched);
    }

    public void UnwatchAll(KeyWatches owner)
    {
        foreach (var watched in owner.Keys)
        {
            if (_lookup.TryGetValue(watched.Key, out var list))
            {
                list.Remove(watched);
                if (list.Count == 0)
                {
                    _lookup.Remove(watched.Key);
                }
            }
        }

        owner.Keys.Clear();
        owner.Dirty = false;
    }

    /// <summary>A key changed; <paramref name="existsNow"/> tells whether it is still in the keyspace.</summary>
    public void Touch(ReadOnlySpan<byte> key, bool existsNow)
    {
        if (!_lookup.TryGetValue(key, out var list))
        {
            return;
        }

        foreach (var watched in list)
        {
            if (watched.Expired && !existsNow)
            {
                // Already expired at WATCH and now deleted: logically nothing changed.
                watched.Expired = false;
                continue;
            }

            watched.Owner.Dirty = true;
        }
    }

    /// <summary>Before a flush: every watched key that exists is about to be deleted.</summary>
    public void TouchExisting(Keyspace keys)
    {
        foreach (var (key, _) in _byKey)
        {
            if (keys.Find(key) is not null)
            {
                Touch(key, existsNow: false);
            }
        }
    }
}
