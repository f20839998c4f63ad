using WebFarm.Agent.Trace;

namespace WebFarm.Controller.Trace;

/// <summary>
/// The controller's copy of every agent's trace ring (the last <see cref="TraceRing.DefaultCapacity"/> messages of
/// each server), filled by heartbeats and merged in time order for `webfarm trace`. After a controller restart the
/// first batch of an agent is refused once (answered "received 0"), so the agent sends its whole ring again.
/// </summary>
public sealed class TraceStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Server> _servers = new(StringComparer.Ordinal);
    private long _nextId = 1;

    /// <summary>Keeps the entries of <paramref name="server"/> after the ones it holds.</summary>
    /// <returns>The newest sequence held for the server: the agent's next batch starts after it.</returns>
    public long Receive(string server, IReadOnlyList<TraceEntry>? entries)
    {
        lock (_lock)
        {
            if (!_servers.TryGetValue(server, out var kept))
            {
                kept = new Server();
                _servers[server] = kept;
                if (entries is { Count: > 0 } && entries[0].Sequence > 1)
                {
                    return 0; // Ask for the agent's whole ring: it holds what came before this batch.
                }
            }

            foreach (var entry in entries ?? [])
            {
                if (entry.Sequence <= kept.Received)
                {
                    continue;
                }

                kept.Received = entry.Sequence;
                kept.Entries.Enqueue(new TraceRecord(_nextId++, server, entry.Sequence, entry.Time, entry.Source, entry.Message));
                if (kept.Entries.Count > TraceRing.DefaultCapacity)
                {
                    kept.Entries.Dequeue();
                }
            }

            return kept.Received;
        }
    }

    /// <summary>The sequence up to which <paramref name="server"/>'s agent must clear its ring (null: never cleared).</summary>
    public long? ClearedUpTo(string server)
    {
        lock (_lock)
        {
            return _servers.TryGetValue(server, out var kept) ? kept.ClearedUpTo : null;
        }
    }

    /// <summary>
    /// The kept messages with an id above <paramref name="after"/>, of <paramref name="server"/> (or all), containing
    /// <paramref name="filter"/> (case-insensitive), in time order.
    /// </summary>
    public List<TraceRecord> Query(string? server, string? filter, long after)
    {
        var list = new List<TraceRecord>();
        lock (_lock)
        {
            foreach (var (name, kept) in _servers)
            {
                if (server is not null && name != server)
                {
                    continue;
                }

                foreach (var record in kept.Entries)
                {
                    if (record.Id > after && (filter is null || record.Message.Contains(filter, StringComparison.OrdinalIgnoreCase) || record.Source.Contains(filter, StringComparison.OrdinalIgnoreCase)))
                    {
                        list.Add(record);
                    }
                }
            }
        }

        list.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.Id.CompareTo(b.Id));
        return list;
    }

    /// <summary>Empties the kept rings (of one server or all) and has their agents empty theirs at the next heartbeat.</summary>
    /// <returns>How many messages were dropped here.</returns>
    public int Clear(string? server)
    {
        lock (_lock)
        {
            var dropped = 0;
            foreach (var (name, kept) in _servers)
            {
                if (server is null || name == server)
                {
                    dropped += kept.Entries.Count;
                    kept.Entries.Clear();
                    kept.ClearedUpTo = kept.Received;
                }
            }

            return dropped;
        }
    }

    private sealed class Server
    {
        public Queue<TraceRecord> Entries { get; } = new();

        public long Received { get; set; }

        public long? ClearedUpTo { get; set; }
    }
}
