namespace WebFarm.AspNetCore.Resp.Cluster;

/// <summary>
/// An immutable snapshot of which master serves which hash slot. Lookups index one 16384-entry array
/// (32 KiB), so routing a command costs no search and no allocation.
/// </summary>
public sealed class ClusterSlotMap
{
    private const short NoShard = -1;
    private readonly short[] _owner;

    internal ClusterSlotMap(IReadOnlyList<ClusterShard> shards, string source)
    {
        if (shards.Count == 0)
        {
            throw new RespProtocolException($"{source} lists no master serving any slot.");
        }

        if (shards.Count > short.MaxValue)
        {
            throw new RespProtocolException($"{source} lists {shards.Count} shards; at most {short.MaxValue} are supported.");
        }

        _owner = new short[ClusterKeySlot.SlotCount];
        Array.Fill(_owner, NoShard);
        for (short i = 0; i < shards.Count; i++)
        {
            foreach (var range in shards[i].Ranges)
            {
                _owner.AsSpan(range.Start, range.End - range.Start + 1).Fill(i);
            }
        }

        Shards = shards;
        Source = source;
        var uncovered = new List<ClusterSlotRange>();
        for (int slot = 0; slot < _owner.Length; slot++)
        {
            if (_owner[slot] != NoShard)
            {
                continue;
            }

            int start = slot;
            while (slot + 1 < _owner.Length && _owner[slot + 1] == NoShard)
            {
                slot++;
            }

            uncovered.Add(new ClusterSlotRange(start, slot));
        }

        Uncovered = uncovered;
    }

    /// <summary>The masters with their slots.</summary>
    public IReadOnlyList<ClusterShard> Shards { get; }

    /// <summary>Slot ranges no master serves (empty in a healthy cluster).</summary>
    public IReadOnlyList<ClusterSlotRange> Uncovered { get; }

    /// <summary>Which node and command the map was read from, e.g. <c>CLUSTER SHARDS from 127.0.0.1:7000</c>.</summary>
    public string Source { get; }

    /// <summary>The shard serving <paramref name="slot"/>, or null when no master serves it.</summary>
    public ClusterShard? ShardFor(int slot)
    {
        short owner = _owner[slot];
        return owner == NoShard ? null : Shards[owner];
    }

    /// <summary>True when both maps route every slot to the same master.</summary>
    public bool RoutesLike(ClusterSlotMap other)
    {
        for (int slot = 0; slot < _owner.Length; slot++)
        {
            if (ShardFor(slot)?.Master != other.ShardFor(slot)?.Master)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join("; ", Shards);
}
