using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.State.Commands;
using WebFarm.State.Hosting;
using WebFarm.State.Protocol;

namespace WebFarm.State.Tests.Protocol;

/// <summary>
/// A pipelined batch of reads goes through parsing, command lookup, execution and reply writing without
/// allocating: garbage per command would turn into GC pauses in the latency tail (bench/state, p99 with -P 1).
/// </summary>
public sealed class HotPathAllocationTests
{
    [Theory]
    [InlineData("GET", "key:__rand_int__")]
    [InlineData("HGET", "myhash", "element:__rand_int__")]
    [InlineData("EXISTS", "key:__rand_int__")]
    [InlineData("PING")]
    [InlineData("get", "missing")]
    public void A_pipelined_batch_of_reads_allocates_nothing(params string[] command)
    {
        var server = new ServerContext(new StateServerOptions(), NullLogger.Instance);
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        var session = new ClientSession(server, 1, new RespWriter(output), "test") { Authenticated = true };
        var sink = new ExecutingSink(session);
        var args = new ArgList();
        var scratch = new byte[4096];
        Run(Batch(1, "SET", "key:__rand_int__", "xxx"), sink, args, ref scratch);
        Run(Batch(1, "HSET", "myhash", "element:__rand_int__", "xxx"), sink, args, ref scratch);
        var batch = Batch(16, command);

        // Warm up (JIT, lazy statics), then measure this thread's allocations over 1,000 batches.
        for (var i = 0; i < 1_000; i++)
        {
            Run(batch, sink, args, ref scratch);
            session.Reply.Commit();
            output.ResetWrittenCount();
        }

        // Up to three windows, passing at the first without allocation: a path that allocates per command does in
        // every window, while one window can be disturbed by the runtime (tiered compilation, a parallel test).
        var windows = new List<long>();
        for (var window = 0; window < 3; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1_000; i++)
            {
                Run(batch, sink, args, ref scratch);
                session.Reply.Commit();
                output.ResetWrittenCount();
            }

            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            if (windows[^1] == 0)
            {
                Assert.Equal(2 + (16_000 * (window + 2)), sink.Executed);
                return;
            }
        }

        Assert.Fail($"{string.Join(' ', command)}: 16,000 pipelined commands allocated {string.Join(", ", windows)} bytes in three windows");
    }

    private static void Run(byte[] batch, ExecutingSink sink, ArgList args, ref byte[] scratch)
    {
        var buffer = new ReadOnlySequence<byte>(batch);
        var status = CommandStream.Process(ref buffer, sink, args, ref scratch, out _, out var error);
        Assert.True(status == StreamStatus.NeedMore && buffer.IsEmpty, error);
    }

    private static byte[] Batch(int times, params string[] command)
    {
        var one = new StringBuilder($"*{command.Length}\r\n");
        foreach (var arg in command)
        {
            one.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(one.ToString(), times)));
    }

    private sealed class ExecutingSink(ClientSession session) : ICommandSink
    {
        public long Executed { get; private set; }

        public ParserLimits Limits => session.Server.Limits;

        public bool Execute(scoped CommandArgs args, int commandBytes)
        {
            CommandExecutor.Execute(session, args);
            Executed++;
            return true;
        }
    }
}
