using System.Text;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Http1;

namespace WebFarm.Balancer.Tests.Parsing;

/// <summary>
/// The direct path's chunked-body decoder run on the rows of <see cref="ChunkedBodyParsingData"/>, its bytes arriving
/// through a <see cref="ScriptedChannel"/> exactly as cut by the test: whole, in two receives cut at every offset, one
/// byte per receive, and every prefix followed by the server closing (which must be "closed in the middle of a
/// chunked body", never a body taken as complete). The outcome (bytes, trailers, the exact error) must not depend on
/// the cuts.
/// </summary>
public sealed class ChunkedDecoderTests
{
    private const string Pipelined = "HTTP/1.1 200 OK\r\n";
    private const string ClosedEarly = "the server closed the connection in the middle of a chunked body";

    [Theory]
    [MemberData(nameof(ChunkedBodyParsingData.AllNames), MemberType = typeof(ChunkedBodyParsingData))]
    public async Task The_whole_body_in_one_receive_gives_the_expected_outcome(string name)
    {
        var row = ChunkedBodyParsingData.Get(name);
        var suffix = row.Error is null ? Pipelined : string.Empty;
        var input = Encoding.Latin1.GetBytes(row.Input + suffix);

        var outcome = await DecodeAsync([input]);

        AssertOutcome(row, outcome);
        if (row.Error is null && input.Length <= Http1Connection.BufferSize)
        {
            // The decoder stops at the end of the body: the next response's bytes stay in the buffer.
            Assert.Equal(suffix, outcome.Remaining);
        }
    }

    [Theory]
    [MemberData(nameof(ChunkedBodyParsingData.AllNames), MemberType = typeof(ChunkedBodyParsingData))]
    public async Task Two_receives_cut_at_every_offset_give_the_same_outcome(string name)
    {
        var row = ChunkedBodyParsingData.Get(name);
        var input = Encoding.Latin1.GetBytes(row.Input);
        foreach (var at in CutPoints(input.Length))
        {
            var outcome = await DecodeAsync([input[..at], input[at..]]);
            AssertOutcome(row, outcome, $"cut at {at}");
        }
    }

    [Theory]
    [MemberData(nameof(ChunkedBodyParsingData.AllNames), MemberType = typeof(ChunkedBodyParsingData))]
    public async Task One_byte_per_receive_gives_the_same_outcome(string name)
    {
        var row = ChunkedBodyParsingData.Get(name);
        var input = Encoding.Latin1.GetBytes(row.Input);

        var outcome = await DecodeAsync([.. input.Select(b => new[] { b })]);

        AssertOutcome(row, outcome, "one byte per receive");
    }

    /// <summary>An incomplete body needs more: the server closing after any prefix is an early close, not the end of the body.</summary>
    [Theory]
    [MemberData(nameof(ChunkedBodyParsingData.DecodedNames), MemberType = typeof(ChunkedBodyParsingData))]
    public async Task Every_prefix_of_a_body_followed_by_a_close_is_an_early_close(string name)
    {
        var row = ChunkedBodyParsingData.Decoded[name];
        var input = Encoding.Latin1.GetBytes(row.Input);
        var body = Encoding.Latin1.GetBytes(row.Body);
        foreach (var length in CutPoints(input.Length))
        {
            if (length == input.Length)
            {
                continue;
            }

            var outcome = await DecodeAsync([input[..length]]);
            Assert.True(outcome.Error is IOException { Message: ClosedEarly } and not Http1ProtocolException, $"the first {length} bytes then a close gave {outcome.Error?.Message ?? "a complete body"}");
            Assert.True(body.AsSpan().StartsWith(outcome.Body), $"the first {length} bytes delivered body bytes that are not the body's start");
        }
    }

    /// <summary>A prefix of a bad body either lacks the bad part (an early close) or holds it (the same error).</summary>
    [Theory]
    [MemberData(nameof(ChunkedBodyParsingData.RejectedNames), MemberType = typeof(ChunkedBodyParsingData))]
    public async Task Every_prefix_of_a_bad_body_followed_by_a_close_is_an_early_close_or_the_same_error(string name)
    {
        var row = ChunkedBodyParsingData.Rejected[name];
        var input = Encoding.Latin1.GetBytes(row.Input);
        foreach (var length in CutPoints(input.Length))
        {
            var outcome = await DecodeAsync([input[..length]]);
            var message = outcome.Error?.Message;
            Assert.True(message == ClosedEarly || message == "invalid HTTP response: " + row.Error, $"the first {length} bytes then a close gave {message ?? "a complete body"}");
        }
    }

    /// <summary>Every offset for small inputs; for large ones both ends in full and evenly spread cuts between (every offset of 70 KB would be 70,000 runs).</summary>
    private static IEnumerable<int> CutPoints(int length)
    {
        if (length <= 2048)
        {
            return Enumerable.Range(0, length + 1);
        }

        var step = Math.Max(1, length / 512);
        return Enumerable.Range(0, 65)
            .Concat(Enumerable.Range(length - 64, 65))
            .Concat(Enumerable.Range(0, (length / step) + 1).Select(i => i * step))
            .Where(at => at <= length)
            .Distinct()
            .Order();
    }

    private static async Task<Outcome> DecodeAsync(IReadOnlyList<byte[]> pieces)
    {
        using var connection = new Http1Connection(new ScriptedChannel(pieces));
        var target = new RecordingResponseTarget();
        var exchange = ExchangeCancellation.Rent(CancellationToken.None, TimeSpan.FromMinutes(5));
        try
        {
            var result = await Http1Forwarder.CopyChunkedAsync(connection, target, exchange);
            Assert.False(result.ClientGone);
            Assert.Equal(target.Body.Length, result.Bytes);
            return new Outcome(target.Body, target.Trailers, result.UpstreamError, Encoding.Latin1.GetString(connection.Buffered));
        }
        finally
        {
            exchange.Return();
        }
    }

    private static void AssertOutcome(ChunkedBodyParsingData.Row row, Outcome outcome, string how = "whole")
    {
        if (row.Error is null)
        {
            Assert.True(outcome.Error is null, $"{how}: {outcome.Error?.GetType().Name}: {outcome.Error?.Message}");
        }
        else
        {
            Assert.True(outcome.Error is Http1ProtocolException, $"{how}: expected '{row.Error}', got {outcome.Error?.GetType().Name ?? "a complete body"}: {outcome.Error?.Message}");
            Assert.Equal("invalid HTTP response: " + row.Error, outcome.Error!.Message);
        }

        Assert.Equal(row.Body, Encoding.Latin1.GetString(outcome.Body));
        Assert.Equal(row.Trailers, outcome.Trailers);
    }

    private sealed record Outcome(byte[] Body, List<string> Trailers, Exception? Error, string Remaining);
}
