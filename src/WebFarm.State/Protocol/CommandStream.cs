using System.Buffers;

namespace WebFarm.State.Protocol;

/// <summary>
/// Runs every complete command of a receive buffer through a sink. Commands inside one buffer
/// segment are parsed in place; only a command that straddles segments is copied, once, into a
/// scratch array (and not before all the bytes it is known to need have arrived).
/// </summary>
internal static class CommandStream
{
    public static StreamStatus Process(ref ReadOnlySequence<byte> buffer, ICommandSink sink, ArgList args, ref byte[] scratch, out long needed, out string? error)
    {
        needed = 0;
        error = null;
        while (!buffer.IsEmpty)
        {
            var span = buffer.FirstSpan;
            var wholeBuffer = span.Length == buffer.Length;
            var status = Run(span, sink, args, out var used, out var need, out error);
            buffer = buffer.Slice(used);
            if (status != StreamStatus.NeedMore)
            {
                return status;
            }

            if (used == span.Length)
            {
                continue;
            }

            if (wholeBuffer || buffer.Length < need)
            {
                needed = need;
                return StreamStatus.NeedMore;
            }

            // The command straddles segments and may be complete: copy the rest once and go on from the copy.
            var length = checked((int)buffer.Length);
            if (scratch.Length < length)
            {
                scratch = new byte[Math.Max(length, scratch.Length * 2)];
            }

            buffer.CopyTo(scratch);
            status = Run(scratch.AsSpan(0, length), sink, args, out used, out need, out error);
            buffer = buffer.Slice(used);
            needed = status == StreamStatus.NeedMore ? need : 0;
            return status;
        }

        return StreamStatus.NeedMore;
    }

    private static StreamStatus Run(ReadOnlySpan<byte> span, ICommandSink sink, ArgList args, out int used, out long needed, out string? error)
    {
        used = 0;
        needed = 0;
        error = null;
        while (used < span.Length)
        {
            var data = span[used..];
            var status = RespRequestParser.TryParse(data, args, sink.Limits, out var consumed, out var need, out error);
            if (status == ParseStatus.Incomplete)
            {
                needed = need;
                return StreamStatus.NeedMore;
            }

            if (status == ParseStatus.Error)
            {
                return StreamStatus.ProtocolError;
            }

            used += consumed;
            if (args.Count > 0 && !sink.Execute(new CommandArgs(data, args), consumed))
            {
                return StreamStatus.Stopped;
            }
        }

        return StreamStatus.NeedMore;
    }
}
