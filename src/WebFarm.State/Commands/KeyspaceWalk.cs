using System.Buffers;
using WebFarm.State.Hosting;
using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>
/// KEYS and SCAN: the key references of the walked slots are copied under the store lock (a memory copy,
/// not a pattern match), then matched against the pattern and answered. A walk big enough to matter runs after
/// the lock is released, on a pool thread, so a long KEYS or a slow pattern holds up no other client (issue 11:
/// a GET waited 7.9 s behind one KEYS). Keys are immutable byte arrays and the TTL a single long, so reading
/// entries outside the lock is safe; the answer is the keyspace as it was when the command ran.
/// </summary>
internal sealed class KeyspaceWalk
{
    /// <summary>Entries x pattern bytes above which matching leaves the lock (small SCAN pages stay inline).</summary>
    private const long InlineWorkLimit = 16 * 1024;

    private readonly KeyEntry[] _entries;
    private readonly int _count;
    private readonly byte[]? _pattern;
    private readonly int _typeFilter;
    private readonly long _nowMs;
    private readonly long _cursor;

    private KeyspaceWalk(KeyEntry[] entries, int count, byte[]? pattern, int typeFilter, long nowMs, long cursor)
    {
        _entries = entries;
        _count = count;
        _pattern = pattern;
        _typeFilter = typeFilter;
        _nowMs = nowMs;
        _cursor = cursor;
    }

    /// <summary>
    /// Copies slots [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) under the
    /// store lock. <paramref name="cursor"/> is SCAN's next cursor, or -1 for KEYS's plain array reply.
    /// </summary>
    public static KeyspaceWalk Capture(StateStore store, int first, int count, scoped ReadOnlySpan<byte> pattern, bool matchAll, int typeFilter, long cursor)
    {
        var entries = ArrayPool<KeyEntry>.Shared.Rent(Math.Max(count, 1));
        store.Keys.CopySlots(first, count, entries);
        return new KeyspaceWalk(entries, count, matchAll ? null : pattern.ToArray(), typeFilter, store.NowMs, cursor);
    }

    /// <summary>
    /// Answers now, or hands the walk to the connection to finish outside the lock when it is big and the
    /// client can wait for it (not inside EXEC, whose replies must stay in one piece).
    /// </summary>
    public void Run(ClientSession client)
    {
        var work = (long)_count * Math.Max(1, _pattern?.Length ?? 1);
        if (work > InlineWorkLimit && client.CanDefer && !client.InExec)
        {
            client.DeferredWalk = this;
            return;
        }

        Complete(client.Reply, client.Server.Stop.Token);
    }

    /// <summary>
    /// Finishes a deferred walk on a pool thread, so other clients (even those served by the calling socket
    /// thread) keep going. Cancelled when the server stops or the client goes away (as Redis drops a client that
    /// closed its side; nobody would read the answer).
    /// </summary>
    public async Task CompleteAsync(ServerContext server, RespWriter reply, CancellationToken clientGone)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(server.Stop.Token, clientGone);
        Interlocked.Increment(ref server.RunningKeyWalks);
        try
        {
            await Task.Run(() => Complete(reply, cancel.Token));
        }
        finally
        {
            Interlocked.Decrement(ref server.RunningKeyWalks);
        }
    }

    /// <summary>Matches and writes the reply; stops early (with an error reply) when cancelled: the server is stopping or the client is gone.</summary>
    public void Complete(RespWriter reply, CancellationToken stopping)
    {
        var found = new List<byte[]>();
        try
        {
            // Highest slot first: SCAN's order, which keeps its cursor guarantee.
            for (var i = _count - 1; i >= 0; i--)
            {
                if (stopping.IsCancellationRequested)
                {
                    reply.Error("ERR the key walk was cancelled: the server is stopping or the client disconnected");
                    return;
                }

                var entry = _entries[i];
                var expireAt = entry.ExpireAtMs;
                if ((expireAt != 0 && expireAt <= _nowMs)
                    || (_typeFilter >= 0 && (int)entry.Kind != _typeFilter)
                    || (_pattern is not null && !GlobPattern.IsMatch(_pattern, entry.Key)))
                {
                    continue;
                }

                found.Add(entry.Key);
            }
        }
        finally
        {
            ArrayPool<KeyEntry>.Shared.Return(_entries, clearArray: true);
        }

        if (_cursor >= 0)
        {
            reply.ArrayHeader(2);
            reply.BulkInteger(_cursor);
        }

        reply.ArrayHeader(found.Count);
        foreach (var key in found)
        {
            reply.Bulk(key);
        }
    }
}
