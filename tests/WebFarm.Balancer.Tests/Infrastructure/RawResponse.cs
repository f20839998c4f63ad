namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>A response as the client's socket got it. <see cref="Trailers"/> are the lines after a chunked body's last chunk.</summary>
public sealed record RawResponse(int Status, string Head, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body, IReadOnlyList<string> Trailers)
{
    public List<string> Values(string name) => RawHttp.Values(Headers, name);

    public bool IsChunked => Values("Transfer-Encoding").Any(v => v.Contains("chunked", StringComparison.OrdinalIgnoreCase));

    public string RequestId => Assert.Single(Values("X-Request-Id"));

    public override string ToString() => Head + Body;
}
