using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Tests.Parsing;

/// <summary>
/// A server's side of a connection that sends exactly the given pieces, one per receive (a piece larger than the
/// receive buffer continues in the next receive), then closes: how a test makes the bytes arrive cut where it says.
/// </summary>
internal sealed class ScriptedChannel(IReadOnlyList<byte[]> pieces) : ITcpChannel
{
    private int _piece;
    private int _offset;

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        while (_piece < pieces.Count && _offset == pieces[_piece].Length)
        {
            _piece++;
            _offset = 0;
        }

        if (_piece == pieces.Count)
        {
            return ValueTask.FromResult(0);
        }

        var count = Math.Min(buffer.Length, pieces[_piece].Length - _offset);
        pieces[_piece].AsSpan(_offset, count).CopyTo(buffer.Span);
        _offset += count;
        return ValueTask.FromResult(count);
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> data) => throw new InvalidOperationException("the decoder sends nothing");

    public void Dispose()
    {
    }
}
