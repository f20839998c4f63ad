using System.Text;
using WebFarm.Balancer.Forwarding.Http1;

namespace WebFarm.Balancer.Tests.Parsing;

/// <summary>
/// The upstream response-head parser called directly with the rows of <see cref="ResponseHeadParsingData"/>: what it
/// makes of every accepted head, the exact reason for every rejected one, and "need more" (false, never an error
/// or a head) for every prefix of a head, as a server's response may arrive cut anywhere.
/// </summary>
public sealed class Http1ResponseParserTests
{
    private const string Body = "hello, body bytes after the head";

    [Theory]
    [MemberData(nameof(ResponseHeadParsingData.AcceptedNames), MemberType = typeof(ResponseHeadParsingData))]
    public void Accepted_heads_give_status_framing_and_keep_alive(string name)
    {
        var row = ResponseHeadParsingData.AcceptedHeads[name];
        var data = Encoding.Latin1.GetBytes(row.Head + Body);

        Assert.True(Http1ResponseParser.TryParse(data, row.RequestWasHead, out var head));

        Assert.Equal(row.Head.Length, head.Length);
        Assert.Equal(row.Status, head.StatusCode);
        Assert.Equal(row.Framing, head.Framing);
        Assert.Equal(row.ContentLength, head.ContentLength);
        Assert.Equal(row.HasContentLength, head.HasContentLength);
        Assert.Equal(row.KeepAlive, head.KeepAlive);
        Assert.Equal(row.ConnectionNames is not null, head.ConnectionNamesHeaders);
        if (row.ConnectionNames is not null)
        {
            Assert.Equal(row.ConnectionNames, Encoding.Latin1.GetString(data, head.ConnectionValueStart, head.ConnectionValueLength));
        }
    }

    [Theory]
    [MemberData(nameof(ResponseHeadParsingData.AcceptedNames), MemberType = typeof(ResponseHeadParsingData))]
    public void Every_prefix_of_an_accepted_head_needs_more(string name)
    {
        var row = ResponseHeadParsingData.AcceptedHeads[name];
        var data = Encoding.Latin1.GetBytes(row.Head);
        for (var length = 0; length < data.Length; length++)
        {
            Assert.False(Http1ResponseParser.TryParse(data.AsSpan(0, length), row.RequestWasHead, out _), $"a head from the first {length} bytes");
        }
    }

    [Theory]
    [MemberData(nameof(ResponseHeadParsingData.RejectedNames), MemberType = typeof(ResponseHeadParsingData))]
    public void Rejected_heads_give_the_specific_reason(string name)
    {
        var (text, error) = ResponseHeadParsingData.RejectedHeads[name];
        var data = Encoding.Latin1.GetBytes(text + Body);

        var exception = Assert.Throws<Http1ProtocolException>(() => Http1ResponseParser.TryParse(data, false, out _));
        Assert.Equal("invalid HTTP response: " + error, exception.Message);
    }

    /// <summary>A prefix may lack the line that is wrong (need more) or hold it (the same error), but is never accepted nor rejected for another reason.</summary>
    [Theory]
    [MemberData(nameof(ResponseHeadParsingData.RejectedNames), MemberType = typeof(ResponseHeadParsingData))]
    public void Every_prefix_of_a_rejected_head_needs_more_or_gives_the_same_reason(string name)
    {
        var (text, error) = ResponseHeadParsingData.RejectedHeads[name];
        var data = Encoding.Latin1.GetBytes(text);
        for (var length = 0; length < data.Length; length++)
        {
            try
            {
                Assert.False(Http1ResponseParser.TryParse(data.AsSpan(0, length), false, out _), $"a head from the first {length} bytes");
            }
            catch (Http1ProtocolException ex)
            {
                Assert.Equal("invalid HTTP response: " + error, ex.Message);
            }
        }
    }
}
