using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using WebFarm.State.Protocol;

namespace WebFarm.State.Persistence;

/// <summary>
/// Replays one log file. A torn tail (the process died mid-write) or a corrupt tail is cut off at the
/// end of the last complete command, with a warning, instead of refusing to start.
/// </summary>
internal static partial class AofLoader
{
    public static async Task<long> ReplayAsync(string path, ReplaySink sink, ILogger logger, CancellationToken ct)
    {
        sink.Reset();
        string? problem = null;
        long fileLength;
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan))
        {
            fileLength = file.Length;
            var reader = PipeReader.Create(file, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
            var args = new ArgList();
            var scratch = new byte[64 * 1024];
            long needed = 0;
            while (true)
            {
                var result = await reader.ReadAsync(ct);
                var buffer = result.Buffer;
                var status = StreamStatus.NeedMore;
                string? error = null;
                if (buffer.Length >= needed || result.IsCompleted)
                {
                    status = CommandStream.Process(ref buffer, sink, args, ref scratch, out needed, out error);
                }

                reader.AdvanceTo(buffer.Start, result.Buffer.End);
                if (status == StreamStatus.ProtocolError)
                {
                    problem = $"invalid data ({error})";
                    break;
                }

                if (status == StreamStatus.Stopped)
                {
                    problem = sink.Invalid;
                    break;
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        problem = "an incomplete command";
                    }

                    break;
                }
            }

            await reader.CompleteAsync();
        }

        if (sink.CompleteOffset < fileLength)
        {
            problem ??= "a transaction without EXEC";
            Log.TornTail(logger, path, problem, sink.CompleteOffset, fileLength, fileLength - sink.CompleteOffset, sink.Commands);
            await using var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            truncate.SetLength(sink.CompleteOffset);
            truncate.Flush(flushToDisk: true);
        }

        return sink.CompleteOffset;
    }
}
