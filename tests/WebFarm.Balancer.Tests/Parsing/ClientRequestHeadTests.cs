using System.Buffers;
using System.Text;
using WebFarm.Balancer.FrontEnd;

namespace WebFarm.Balancer.Tests.Parsing;

/// <summary>
/// The front end's request-head parser called directly with the rows of <see cref="RequestHeadParsingData"/>: the
/// exact fields of every head it serves, the hand-off or refusal of every other one, "need more" for every prefix of
/// a head, and the same decision wherever the bytes are cut (as reads of a slow or fragmenting client would cut them).
/// </summary>
public sealed class ClientRequestHeadTests
{
    private const string Pipelined = "GET /next HTTP/1.1\r\nHost: n\r\n\r\n";

    [Theory]
    [MemberData(nameof(RequestHeadParsingData.ServedNames), MemberType = typeof(RequestHeadParsingData))]
    public void Served_heads_report_every_field(string name)
    {
        var row = RequestHeadParsingData.ServedHeads[name];
        var head = new ClientRequestHead();

        Assert.Equal(ClientHeadStatus.Complete, head.Parse(Sequence(row.Head)));
        AssertFields(row, head);

        // What follows the head (the next pipelined request) is not part of it.
        Assert.Equal(ClientHeadStatus.Complete, head.Parse(Sequence(row.Head + Pipelined)));
        AssertFields(row, head);
    }

    [Theory]
    [MemberData(nameof(RequestHeadParsingData.ServedNames), MemberType = typeof(RequestHeadParsingData))]
    public void Served_heads_parse_the_same_in_two_segments_cut_at_every_offset(string name)
    {
        var row = RequestHeadParsingData.ServedHeads[name];
        var bytes = Encoding.Latin1.GetBytes(row.Head + Pipelined);
        var head = new ClientRequestHead();
        for (var at = 0; at <= bytes.Length; at++)
        {
            Assert.True(head.Parse(SegmentedSequence.SplitAt(bytes, at)) == ClientHeadStatus.Complete, $"cut at {at}");
            AssertFields(row, head);
        }
    }

    [Theory]
    [MemberData(nameof(RequestHeadParsingData.ServedNames), MemberType = typeof(RequestHeadParsingData))]
    public void Every_prefix_of_a_served_head_needs_more(string name)
    {
        var bytes = Encoding.Latin1.GetBytes(RequestHeadParsingData.ServedHeads[name].Head);
        var head = new ClientRequestHead();
        for (var length = 0; length < bytes.Length; length++)
        {
            var status = head.Parse(new ReadOnlySequence<byte>(bytes, 0, length));
            Assert.True(status == ClientHeadStatus.Incomplete, $"the first {length} bytes gave {status}");
        }
    }

    [Theory]
    [MemberData(nameof(RequestHeadParsingData.HandedOffNames), MemberType = typeof(RequestHeadParsingData))]
    public void Heads_the_front_end_does_not_take_are_handed_to_Kestrel(string name)
    {
        var head = new ClientRequestHead();
        Assert.Equal(ClientHeadStatus.HandOff, head.Parse(Sequence(RequestHeadParsingData.HandedOffHeads[name])));
    }

    [Theory]
    [MemberData(nameof(RequestHeadParsingData.InvalidNames), MemberType = typeof(RequestHeadParsingData))]
    public void First_lines_that_are_no_request_line_are_refused(string name)
    {
        var head = new ClientRequestHead();
        Assert.Equal(ClientHeadStatus.Invalid, head.Parse(Sequence(RequestHeadParsingData.InvalidHeads[name])));
    }

    /// <summary>
    /// The front end parses what has arrived so far and decides at the first answer other than "need more"; that
    /// decision must be the one the whole head gets, wherever the client's bytes were cut (else a request is served,
    /// handed off or refused depending on TCP segmentation).
    /// </summary>
    [Theory]
    [MemberData(nameof(RequestHeadParsingData.AllNames), MemberType = typeof(RequestHeadParsingData))]
    public void The_decision_does_not_depend_on_where_the_bytes_arrive_cut(string name)
    {
        var (_, text, expected) = RequestHeadParsingData.AllRows().Single(row => row.Name == name);
        var bytes = Encoding.Latin1.GetBytes(text);
        var head = new ClientRequestHead();
        for (var at = 0; at < bytes.Length; at++)
        {
            var first = head.Parse(new ReadOnlySequence<byte>(bytes, 0, at));
            var decided = first != ClientHeadStatus.Incomplete ? first : head.Parse(SegmentedSequence.SplitAt(bytes, at));
            Assert.True(decided == expected, $"{expected} for the whole head, but {decided} when the first {at} bytes arrive alone (they gave {first})");
        }
    }

    private static ReadOnlySequence<byte> Sequence(string text) => new(Encoding.Latin1.GetBytes(text));

    private static void AssertFields(RequestHeadParsingData.Served row, ClientRequestHead head)
    {
        Assert.Equal(row.Head.Length, head.Length);
        Assert.Equal(row.Head, Encoding.Latin1.GetString(head.Bytes));
        Assert.Equal(row.Method, Encoding.Latin1.GetString(head.Method));
        Assert.Equal(row.Target, Encoding.Latin1.GetString(head.Target));
        Assert.Equal(row.HostName, head.HostName.ToString());
        Assert.Equal(row.Path, head.Path.ToString());
        Assert.Equal(row.IsHead, head.IsHead);
        Assert.Equal(row.ConnectionClose, head.ConnectionClose);
        Assert.Equal(row.ContentLengthZero, head.ContentLengthZero);
        var fields = new string[head.FieldCount];
        for (var i = 0; i < fields.Length; i++)
        {
            var field = head.Field(i);
            fields[i] = $"{Encoding.Latin1.GetString(head.Name(field))}: {Encoding.Latin1.GetString(head.Value(field))}";
        }

        Assert.Equal(row.Fields, fields);
        Assert.Equal("host", Encoding.Latin1.GetString(head.Name(head.Field(head.HostField))).ToLowerInvariant());
    }
}
