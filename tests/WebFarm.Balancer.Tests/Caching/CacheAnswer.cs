namespace WebFarm.Balancer.Tests.Caching;

/// <summary>What a client saw: status, X-Cache, Age, body and ETag.</summary>
public sealed record CacheAnswer(int Status, string? XCache, long? Age, string Body, string? ETag)
{
    public static async Task<CacheAnswer> SendAsync(HttpClient client, string path, HttpMethod? method = null, params string[] headers)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        foreach (var line in headers)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            request.Headers.TryAddWithoutValidation(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }

        using var response = await client.SendAsync(request);
        return new CacheAnswer(
            (int)response.StatusCode,
            response.Headers.TryGetValues("X-Cache", out var x) ? string.Join(",", x) : null,
            response.Headers.Age is { } age ? (long)age.TotalSeconds : null,
            await response.Content.ReadAsStringAsync(),
            response.Headers.ETag?.ToString());
    }
}
