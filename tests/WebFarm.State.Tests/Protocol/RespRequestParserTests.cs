using System.Text;
using WebFarm.State.Protocol;

namespace WebFarm.State.Tests.Protocol;

/// <summary>The request parser on byte spans: header-line forms, partial input, and random pipelines.</summary>
public sealed class RespRequestParserTests
{
    private static readonly ParserLimits Limits = new(1024 * 1024, 1024 * 1024);

    [Theory]
    [InlineData("*1\r\n$4\r\nPING\r\n", null)]
    [InlineData("*0\r\n", null)]
    [InlineData("*-1\r\n", null)]
    [InlineData("*1\r\n$0\r\n\r\n", null)]
    [InlineData("*01\r\n$4\r\nPING\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*+1\r\n$4\r\nPING\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*-0\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("* 1\r\n$4\r\nPING\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1 \r\n$4\r\nPING\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*123456789012345678\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1234567890123456789\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n$04\r\nPING\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$-1\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$4x\r\nPING\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$123456789012345678\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$99999999999999999999\r\n", "Protocol error: invalid bulk length")]
    public void Header_lines_are_accepted_or_refused_like_redis(string request, string? expectedError)
    {
        var data = Encoding.ASCII.GetBytes(request);
        var status = RespRequestParser.TryParse(data, new ArgList(), Limits, out var consumed, out _, out var error);
        if (expectedError is null)
        {
            Assert.Equal(ParseStatus.Complete, status);
            Assert.Equal(data.Length, consumed);
        }
        else
        {
            Assert.Equal(ParseStatus.Error, status);
            Assert.Equal(expectedError, error);
        }
    }

    [Fact]
    public void Every_prefix_of_a_request_is_incomplete_with_a_need_the_whole_request_meets()
    {
        var requests = new[]
        {
            Encode("SET", "key:__rand_int__", "xxx"),
            Encode("HSET", "myhash", "element:__rand_int__", new string('v', 300)),
            Encode(Enumerable.Range(0, 12).Select(i => new string((char)('a' + i), i * 11)).ToArray()),
        };
        foreach (var request in requests)
        {
            for (var length = 0; length < request.Length; length++)
            {
                var status = RespRequestParser.TryParse(request.AsSpan(0, length), new ArgList(), Limits, out _, out var needed, out _);
                Assert.Equal(ParseStatus.Incomplete, status);
                Assert.InRange(needed, length + 1, request.Length);
            }

            Assert.Equal(ParseStatus.Complete, RespRequestParser.TryParse(request, new ArgList(), Limits, out var consumed, out _, out _));
            Assert.Equal(request.Length, consumed);
        }
    }

    [Fact]
    public void Random_pipelines_parse_back_to_the_arguments_they_were_made_of()
    {
        var random = new Random(11);
        for (var round = 0; round < 200; round++)
        {
            var commands = new List<byte[][]>();
            var wire = new MemoryStream();
            for (var c = random.Next(1, 20); c > 0; c--)
            {
                var args = new byte[random.Next(1, 6)][];
                for (var i = 0; i < args.Length; i++)
                {
                    // Lengths around the 1- and 2-digit boundaries, and binary content with CR, LF and digits.
                    args[i] = new byte[random.Next(3) switch { 0 => random.Next(0, 12), 1 => random.Next(90, 110), _ => random.Next(0, 3000) }];
                    random.NextBytes(args[i]);
                }

                commands.Add(args);
                wire.Write(Encode(args));
            }

            var data = wire.ToArray().AsSpan();
            var list = new ArgList();
            foreach (var expected in commands)
            {
                Assert.Equal(ParseStatus.Complete, RespRequestParser.TryParse(data, list, Limits, out var consumed, out _, out _));
                var parsed = new CommandArgs(data, list);
                Assert.Equal(expected.Length, parsed.Count);
                for (var i = 0; i < expected.Length; i++)
                {
                    Assert.True(parsed[i].SequenceEqual(expected[i]), $"round {round}: argument {i} differs");
                }

                data = data[consumed..];
            }

            Assert.True(data.IsEmpty);
        }
    }

    private static byte[] Encode(params string[] args) => Encode(args.Select(Encoding.UTF8.GetBytes).ToArray());

    private static byte[] Encode(byte[][] args)
    {
        var stream = new MemoryStream();
        stream.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var arg in args)
        {
            stream.Write(Encoding.ASCII.GetBytes($"${arg.Length}\r\n"));
            stream.Write(arg);
            stream.Write("\r\n"u8);
        }

        return stream.ToArray();
    }
}
