using System.Buffers;

namespace WebFarm.Testing;

/// <summary>
/// Byte sequences cut into segments where a test says, as a pipe hands over bytes that arrived in several reads:
/// parsers of <see cref="ReadOnlySequence{T}"/> must give the same answer wherever the cuts fall.
/// </summary>
public static class SegmentedSequence
{
    /// <summary>Cuts <paramref name="data"/> into segments of the given lengths (0 = an empty segment); they must add up to its length.</summary>
    public static ReadOnlySequence<byte> Create(byte[] data, IReadOnlyList<int> lengths)
    {
        Segment? first = null;
        Segment? last = null;
        var offset = 0;
        foreach (var length in lengths)
        {
            last = new Segment(data.AsMemory(offset, length), last);
            first ??= last;
            offset += length;
        }

        if (first is null || offset != data.Length)
        {
            throw new ArgumentException($"the segment lengths add up to {offset}, not the data's {data.Length} bytes", nameof(lengths));
        }

        return new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    /// <summary><paramref name="data"/> in two segments, the first <paramref name="at"/> bytes long.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] data, int at) => Create(data, [at, data.Length - at]);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
