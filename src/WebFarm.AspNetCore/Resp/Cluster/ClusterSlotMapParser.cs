namespace WebFarm.AspNetCore.Resp.Cluster;

/// <summary>
/// Reads the slot map from <c>CLUSTER SHARDS</c> (Redis 7+, Valkey) or, from older servers, <c>CLUSTER SLOTS</c>.
/// Anything that is not the documented shape is a <see cref="RespProtocolException"/> naming the node and the
/// element, never an index error: a hostile or broken node must not crash the client.
/// </summary>
internal static class ClusterSlotMapParser
{
    /// <summary>Parses a <c>CLUSTER SHARDS</c> reply: per shard a map with <c>slots</c> (start/end pairs) and <c>nodes</c>.</summary>
    public static ClusterSlotMap FromShards(RespValue reply, RespEndPoint answeredBy)
    {
        string source = $"CLUSTER SHARDS from {answeredBy}";
        var shards = new List<ClusterShard>();
        var items = ExpectArray(reply, source, "the reply");
        for (int s = 0; s < items.Count; s++)
        {
            string where = $"shard {s}";
            var fields = ExpectArray(items[s], source, where);
            IReadOnlyList<RespValue>? slots = null;
            IReadOnlyList<RespValue>? nodes = null;
            for (int f = 0; f + 1 < fields.Count; f += 2)
            {
                switch (fields[f].AsString())
                {
                    case "slots":
                        slots = ExpectArray(fields[f + 1], source, where + " slots");
                        break;
                    case "nodes":
                        nodes = ExpectArray(fields[f + 1], source, where + " nodes");
                        break;
                }
            }

            if (slots is null || nodes is null)
            {
                throw new RespProtocolException($"{source}: {where} has no 'slots' or no 'nodes' field.");
            }

            if (slots.Count % 2 != 0)
            {
                throw new RespProtocolException($"{source}: {where} has {slots.Count} slot bounds; they come in start/end pairs.");
            }

            var ranges = new List<ClusterSlotRange>(slots.Count / 2);
            for (int i = 0; i < slots.Count; i += 2)
            {
                ranges.Add(Range(slots[i], slots[i + 1], source, where));
            }

            RespEndPoint? master = null;
            bool masterOnline = false;
            var replicas = new List<RespEndPoint>();
            for (int n = 0; n < nodes.Count; n++)
            {
                var node = ExpectArray(nodes[n], source, $"{where} node {n}");
                string? role = null;
                string? health = null;
                string? ip = null;
                string? endpoint = null;
                long port = 0;
                for (int f = 0; f + 1 < node.Count; f += 2)
                {
                    switch (node[f].AsString())
                    {
                        case "role":
                            role = node[f + 1].AsString();
                            break;
                        case "health":
                            health = node[f + 1].AsString();
                            break;
                        case "ip":
                            ip = node[f + 1].AsString();
                            break;
                        case "endpoint":
                            endpoint = node[f + 1].AsString();
                            break;
                        case "port":
                            port = Integer(node[f + 1], source, $"{where} node {n} port");
                            break;
                    }
                }

                var address = Address(Usable(endpoint) ?? Usable(ip), port, answeredBy, source, $"{where} node {n}");
                if (role == "master")
                {
                    // A master that failed stays listed until it is forgotten; an online one wins.
                    bool online = health == "online";
                    if (master is null || (online && !masterOnline))
                    {
                        master = address;
                        masterOnline = online;
                    }
                }
                else
                {
                    replicas.Add(address);
                }
            }

            if (master is not null && ranges.Count > 0)
            {
                shards.Add(new ClusterShard(master, ranges, replicas));
            }
        }

        return new ClusterSlotMap(shards, source);
    }

    /// <summary>Parses a <c>CLUSTER SLOTS</c> reply: per range <c>[start, end, [host, port, id], replicas...]</c>.</summary>
    public static ClusterSlotMap FromSlots(RespValue reply, RespEndPoint answeredBy)
    {
        string source = $"CLUSTER SLOTS from {answeredBy}";
        var byMaster = new Dictionary<RespEndPoint, (List<ClusterSlotRange> Ranges, List<RespEndPoint> Replicas)>();
        var order = new List<RespEndPoint>();
        var items = ExpectArray(reply, source, "the reply");
        for (int r = 0; r < items.Count; r++)
        {
            string where = $"range {r}";
            var entry = ExpectArray(items[r], source, where);
            if (entry.Count < 3)
            {
                throw new RespProtocolException($"{source}: {where} has {entry.Count} elements; expected start, end and the master.");
            }

            var range = Range(entry[0], entry[1], source, where);
            var master = Node(entry[2], answeredBy, source, where + " master");
            if (!byMaster.TryGetValue(master, out var shard))
            {
                shard = ([], []);
                byMaster.Add(master, shard);
                order.Add(master);
            }

            shard.Ranges.Add(range);
            for (int i = 3; i < entry.Count; i++)
            {
                var replica = Node(entry[i], answeredBy, source, $"{where} replica {i - 3}");
                if (!shard.Replicas.Contains(replica))
                {
                    shard.Replicas.Add(replica);
                }
            }
        }

        var shards = new List<ClusterShard>(order.Count);
        foreach (var master in order)
        {
            var (ranges, replicas) = byMaster[master];
            ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
            shards.Add(new ClusterShard(master, ranges, replicas));
        }

        return new ClusterSlotMap(shards, source);
    }

    private static RespEndPoint Node(RespValue value, RespEndPoint answeredBy, string source, string where)
    {
        var node = ExpectArray(value, source, where);
        if (node.Count < 2)
        {
            throw new RespProtocolException($"{source}: {where} has {node.Count} elements; expected host and port.");
        }

        return Address(Usable(node[0].AsString()), Integer(node[1], source, where + " port"), answeredBy, source, where);
    }

    private static RespEndPoint Address(string? host, long port, RespEndPoint answeredBy, string source, string where)
    {
        if (port is < 1 or > 65535)
        {
            throw new RespProtocolException($"{source}: {where} has port {port}; expected 1-65535.");
        }

        // A node that does not know its own address ("" or "?") is reached at the address we asked.
        return new RespEndPoint(host ?? answeredBy.Host, (int)port);
    }

    private static string? Usable(string? host) => string.IsNullOrEmpty(host) || host == "?" ? null : host;

    private static ClusterSlotRange Range(RespValue start, RespValue end, string source, string where)
    {
        long first = Integer(start, source, where + " start");
        long last = Integer(end, source, where + " end");
        if (first < 0 || last >= ClusterKeySlot.SlotCount || first > last)
        {
            throw new RespProtocolException($"{source}: {where} is slots {first}-{last}; slots are 0-{ClusterKeySlot.SlotCount - 1}, start <= end.");
        }

        return new ClusterSlotRange((int)first, (int)last);
    }

    private static long Integer(RespValue value, string source, string where)
    {
        try
        {
            return value.AsInt64();
        }
        catch (FormatException)
        {
            throw new RespProtocolException($"{source}: {where} is '{value}', not an integer.");
        }
    }

    private static IReadOnlyList<RespValue> ExpectArray(RespValue value, string source, string where)
    {
        if (value.Kind != RespValueKind.Array)
        {
            throw new RespProtocolException(value.IsError
                ? $"{source}: {where} is an error: {value.AsString()}"
                : $"{source}: {where} is {value.Kind} '{value}', expected an array.");
        }

        return value.Items;
    }
}
