using System.Buffers;
using System.Text;
using WebFarm.State.Protocol;

namespace WebFarm.State.Tests.Protocol;

/// <summary>Reply writing through the writer's window into the output: bytes, order, and when they reach the output.</summary>
public sealed class RespWriterTests
{
    public static TheoryData<string> Outputs => ["array-backed", "native memory"];

    [Theory]
    [MemberData(nameof(Outputs))]
    public void Replies_reach_the_output_at_commit_in_order_and_byte_exact(string kind)
    {
        var output = Create(kind);
        var writer = new RespWriter(output);
        var expected = new StringBuilder();
        var random = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            switch (random.Next(8))
            {
                case 0:
                    writer.Ok();
                    expected.Append("+OK\r\n");
                    break;
                case 1:
                    var n = random.NextInt64(-1_000_000_000_000, 1_000_000_000_000) >> random.Next(40);
                    writer.Integer(n);
                    expected.Append(':').Append(n).Append("\r\n");
                    break;
                case 2:
                    // Around the direct-write threshold and the output's block size.
                    var value = new string((char)('a' + (i % 26)), random.Next(3) == 0 ? random.Next(1500, 9000) : random.Next(0, 40));
                    writer.Bulk(Encoding.ASCII.GetBytes(value));
                    expected.Append('$').Append(value.Length).Append("\r\n").Append(value).Append("\r\n");
                    break;
                case 3:
                    writer.NullBulk();
                    expected.Append("$-1\r\n");
                    break;
                case 4:
                    writer.ArrayHeader(i);
                    expected.Append('*').Append(i).Append("\r\n");
                    break;
                case 5:
                    writer.Error("ERR line\r\nbreak");
                    expected.Append("-ERR line  break\r\n");
                    break;
                case 6:
                    writer.Simple("status " + i);
                    expected.Append("+status ").Append(i).Append("\r\n");
                    break;
                default:
                    writer.BulkInteger(i);
                    expected.Append('$').Append(i.ToString().Length).Append("\r\n").Append(i).Append("\r\n");
                    break;
            }

            if (random.Next(50) == 0)
            {
                writer.Commit();
                Assert.Equal(expected.ToString(), output.Text);
            }
        }

        writer.Commit();
        Assert.Equal(expected.ToString(), output.Text);
        Assert.Equal(Encoding.ASCII.GetByteCount(expected.ToString()), writer.Pending);
    }

    [Fact]
    public void Nothing_reaches_the_output_before_commit_and_redirect_commits()
    {
        var first = Create("array-backed");
        var second = Create("array-backed");
        var writer = new RespWriter(first);
        writer.Bulk("hello"u8);
        Assert.Equal("", first.Text);

        writer.Redirect(second);
        Assert.Equal("$5\r\nhello\r\n", first.Text);
        writer.Integer(42);
        writer.Commit();
        Assert.Equal(":42\r\n", second.Text);
        Assert.Equal("$5\r\nhello\r\n", first.Text);
    }

    [Fact]
    public void A_writer_without_output_discards_everything()
    {
        var writer = new RespWriter(null);
        writer.Bulk(new byte[10_000]);
        writer.Integer(5);
        writer.Commit();
        Assert.True(writer.Discarding);
        Assert.Equal(0, writer.Pending);
    }

    private static TextOutput Create(string kind) => kind == "array-backed" ? new TextOutput(null) : new TextOutput(new NativeMemory(4096));

    /// <summary>Collects committed bytes; hands out array memory (like Kestrel's pool) or native memory.</summary>
    private sealed class TextOutput(NativeMemory? native) : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _written = new();

        public string Text => Encoding.ASCII.GetString(_written.WrittenSpan);

        public void Advance(int count)
        {
            if (native is not null)
            {
                _written.Write(native.GetSpan()[..count]);
            }
            else
            {
                _written.Advance(count);
            }
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => native is not null ? native.Memory : _written.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    /// <summary>Memory whose array is not exposed (like native memory), so the writer cannot reach into it.</summary>
    private sealed class NativeMemory(int size) : MemoryManager<byte>
    {
        private readonly byte[] _hidden = new byte[size];

        public override Span<byte> GetSpan() => _hidden;

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
