using WebFarm.Agent.Trace;

namespace WebFarm.Agent.Tests.Trace;

public sealed class TraceRingTests
{
    [Fact]
    public void Keeps_the_last_capacity_messages_in_order_and_reads_on_after_a_sequence()
    {
        var ring = new TraceRing(capacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            ring.Add("agent", "m" + i);
        }

        Assert.Equal(5, ring.LastSequence);
        Assert.Equal(["m3", "m4", "m5"], ring.Since(0).Select(e => e.Message));
        Assert.Equal([4L, 5L], ring.Since(3).Select(e => e.Sequence));
        Assert.Equal(["m3"], ring.Since(0, max: 1).Select(e => e.Message));
        Assert.Empty(ring.Since(5));
    }

    [Fact]
    public void Clear_forgets_up_to_a_sequence_and_keeps_later_messages()
    {
        var ring = new TraceRing(capacity: 10);
        ring.Add("agent", "a");
        ring.Add("hello", "b");
        ring.Clear(1);
        ring.Add("hello", "c");
        Assert.Equal(["b", "c"], ring.Since(0).Select(e => e.Message));
        ring.Clear(99); // Beyond the newest: clears what there is, not what comes next.
        ring.Add("agent", "d");
        Assert.Equal(["d"], ring.Since(0).Select(e => e.Message));
    }
}
