using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.LoadBalancing;

public class HashKeySpecTests
{
    [Theory]
    [InlineData("header:X-User", HashKeySource.Header, "X-User")]
    [InlineData("Header:X-User", HashKeySource.Header, "X-User")]
    [InlineData("cookie:session_id", HashKeySource.Cookie, "session_id")]
    [InlineData("path", HashKeySource.Path, null)]
    [InlineData("PATH", HashKeySource.Path, null)]
    [InlineData("query:user", HashKeySource.Query, "user")]
    public void Parses_valid_keys(string text, HashKeySource source, string? name)
    {
        Assert.True(HashKeySpec.TryParse(text, out var spec, out var error), error);
        Assert.Equal(new HashKeySpec(source, name), spec);
        Assert.Equal(string.Empty, error);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("body:x", "unknown hash key source \"body\"")]
    [InlineData("header:", "needs a name")]
    [InlineData("header", "needs a name")]
    [InlineData("path:/x", "takes no name")]
    [InlineData("header:X User", "invalid character ' ' at position 2")]
    [InlineData("cookie:a;b", "invalid character ';'")]
    [InlineData("query:a&b", "invalid character '&'")]
    public void Rejects_invalid_keys_with_a_specific_error(string text, string expectedFragment)
    {
        Assert.False(HashKeySpec.TryParse(text, out _, out var error));
        Assert.Contains(expectedFragment, error);
    }

    [Theory]
    [InlineData(LoadBalancingAlgorithm.RoundRobin, typeof(RoundRobinPolicy))]
    [InlineData(LoadBalancingAlgorithm.LeastRequests, typeof(LeastRequestsPolicy))]
    [InlineData(LoadBalancingAlgorithm.LeastResponseTime, typeof(LeastResponseTimePolicy))]
    [InlineData(LoadBalancingAlgorithm.Random, typeof(RandomPolicy))]
    [InlineData(LoadBalancingAlgorithm.PowerOfTwoChoices, typeof(PowerOfTwoChoicesPolicy))]
    [InlineData(LoadBalancingAlgorithm.ClientIp, typeof(ClientIpPolicy))]
    [InlineData(LoadBalancingAlgorithm.ClientNetwork, typeof(ClientNetworkPolicy))]
    [InlineData(LoadBalancingAlgorithm.First, typeof(FirstPolicy))]
    public void Factory_creates_each_algorithm(LoadBalancingAlgorithm algorithm, Type expected)
    {
        Assert.IsType(expected, LoadBalancingPolicyFactory.Create(algorithm, hashKey: null));
    }

    [Fact]
    public void Factory_creates_hash_with_its_key()
    {
        var policy = Assert.IsType<HashPolicy>(LoadBalancingPolicyFactory.Create(LoadBalancingAlgorithm.Hash, "cookie:sid"));
        Assert.Equal(new HashKeySpec(HashKeySource.Cookie, "sid"), policy.Key);
    }

    [Fact]
    public void Factory_refuses_hash_without_a_valid_key()
    {
        var missing = Assert.Throws<ArgumentException>(() => LoadBalancingPolicyFactory.Create(LoadBalancingAlgorithm.Hash, null));
        Assert.Contains("needs a HashKey", missing.Message);
        var invalid = Assert.Throws<ArgumentException>(() => LoadBalancingPolicyFactory.Create(LoadBalancingAlgorithm.Hash, "body:x"));
        Assert.Contains("unknown hash key source", invalid.Message);
        Assert.Throws<ArgumentException>(() => LoadBalancingPolicyFactory.Create((LoadBalancingAlgorithm)99, null));
    }
}
