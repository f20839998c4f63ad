using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.Tests.Forwarding;

public sealed class HeaderRulesTests
{
    [Theory]
    [InlineData("keep-alive, X-Hop-Custom", "X-Hop-Custom", true)]
    [InlineData("keep-alive, X-Hop-Custom", "x-hop-custom", true)]
    [InlineData("close", "X-Hop-Custom", false)]
    [InlineData("X-Hop-Customer", "X-Hop-Custom", false)]
    public void Connection_lists_name_hop_by_hop_headers(string connection, string name, bool listed)
        => Assert.Equal(listed, HeaderNames.ListContains(connection, name));

    [Theory]
    [InlineData("Connection", true)]
    [InlineData("keep-alive", true)]
    [InlineData("Transfer-Encoding", true)]
    [InlineData("Upgrade", true)]
    [InlineData("Proxy-Authorization", true)]
    [InlineData("TE", true)]
    [InlineData("Content-Type", false)]
    [InlineData("X-Custom", false)]
    public void Hop_by_hop_names(string name, bool hop) => Assert.Equal(hop, HeaderNames.IsHopByHop(name));

    [Theory]
    [InlineData("plain", false)]
    [InlineData("a\r\nb", true)]
    [InlineData("a\nb", true)]
    [InlineData("a\0b", true)]
    public void Unsafe_values(string value, bool unsafeValue) => Assert.Equal(unsafeValue, HeaderSyntax.HasUnsafeChars(value));
}
