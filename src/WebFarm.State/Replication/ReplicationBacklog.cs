using System.Buffers;
using WebFarm.State.Storage;

namespace WebFarm.State.Replication;

/// <summary>
/// A ring buffer of the most recent replication stream bytes, addressed by absolute stream offset.
/// Each replica's sender copies from its own offset; a replica that falls further behind than the ring
/// holds is dropped and resynchronises. Used under the store lock.
/// </summary>
internal sealed class ReplicationBacklog(int size, long startOffset) : ICommandLogSink
{
    private readonly byte[] _ring = new byte[size];

    public long StartOffset { get; private set; } = startOffset;

    public long EndOffset { get; private set; } = startOffset;

    public int Size => _ring.Length;

    public long Length => EndOffset - StartOffset;

    public void Append(ReadOnlySpan<byte> data)
    {
        var total = data.Length;
        if (data.Length > _ring.Length)
        {
            data = data[^_ring.Length..];
        }

        var position = (int)((EndOffset + (total - data.Length)) % _ring.Length);
        var first = Math.Min(data.Length, _ring.Length - position);
        data[..first].CopyTo(_ring.AsSpan(position));
        data[first..].CopyTo(_ring);
        EndOffset += total;
        StartOffset = Math.Max(StartOffset, EndOffset - _ring.Length);
    }

    /// <summary>Copies up to <paramref name="max"/> bytes starting at stream offset <paramref name="from"/>.</summary>
    public int CopyTo(long from, int max, IBufferWriter<byte> output)
    {
        if (from < StartOffset || from > EndOffset)
        {
            throw new InvalidOperationException($"Offset {from} is outside the backlog [{StartOffset}, {EndOffset}].");
        }

        var count = (int)Math.Min(max, EndOffset - from);
        var position = (int)(from % _ring.Length);
        var first = Math.Min(count, _ring.Length - position);
        output.Write(_ring.AsSpan(position, first));
        output.Write(_ring.AsSpan(0, count - first));
        return count;
    }
}
