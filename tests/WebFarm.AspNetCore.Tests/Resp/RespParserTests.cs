using System.Buffers;
using System.Text;
using WebFarm.AspNetCore.Resp;

namespace WebFarm.AspNetCore.Tests.Resp;

/// <summary>The reply parser: incremental input, nesting, nils, and malformed input.</summary>
public sealed class RespParserTests
{
    private const string Replies = "+OK\r\n-ERR bad\r\n:-42\r\n$5\r\nhe\r\no\r\n$-1\r\n*3\r\n$1\r\na\r\n*1\r\n:7\r\n*-1\r\n*0\r\n";

    [Fact]
    public void Parses_every_reply_type()
    {
        var values = ParseAll(Encoding.UTF8.GetBytes(Replies), chunk: int.MaxValue);
        Assert.Equal(7, values.Count);
        Assert.Equal("OK", values[0].AsString());
        Assert.True(values[1].IsError);
        Assert.Equal("ERR bad", values[1].AsString());
        Assert.Equal(-42, values[2].Integer);
        Assert.Equal("he\r\no", values[3].AsString());
        Assert.True(values[4].IsNull);
        Assert.Equal(RespValueKind.Array, values[5].Kind);
        Assert.Equal("a", values[5].Items[0].AsString());
        Assert.Equal(7, values[5].Items[1].Items[0].Integer);
        Assert.True(values[5].Items[2].IsNull);
        Assert.Empty(values[6].Items);
    }

    [Fact]
    public void A_reply_split_at_every_byte_boundary_parses_the_same()
    {
        var bytes = Encoding.UTF8.GetBytes(Replies);
        var whole = ParseAll(bytes, int.MaxValue).Select(v => v.ToString()).ToList();
        for (int chunk = 1; chunk < 8; chunk++)
        {
            Assert.Equal(whole, ParseAll(bytes, chunk).Select(v => v.ToString()));
        }
    }

    [Theory]
    [InlineData("!weird\r\n", "type byte")]
    [InlineData("$-5\r\n", "bulk length")]
    [InlineData("$abc\r\n", "bulk length")]
    [InlineData("*-7\r\n", "array length")]
    [InlineData("$3\r\nabcXY", "CRLF")]
    [InlineData(":12x\r\n", "integer")]
    public void Malformed_replies_throw_a_protocol_error(string input, string expected)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(input));
        var error = Assert.Throws<RespProtocolException>(() => RespParser.TryParse(ref buffer, out _));
        Assert.Contains(expected, error.Message);
    }

    private static List<RespValue> ParseAll(byte[] bytes, int chunk)
    {
        // Feed the parser growing prefixes, as the socket would, and consume whole replies only.
        var values = new List<RespValue>();
        int consumed = 0;
        int available = 0;
        while (consumed < bytes.Length)
        {
            available = Math.Min(bytes.Length, available + Math.Min(chunk, bytes.Length));
            var buffer = new ReadOnlySequence<byte>(bytes, consumed, available - consumed);
            while (RespParser.TryParse(ref buffer, out var value))
            {
                values.Add(value);
            }

            consumed = available - (int)buffer.Length;
            Assert.True(available < bytes.Length || buffer.Length == 0, "parser left bytes after complete input");
        }

        return values;
    }
}
