namespace WebFarm.Balancer.Caching;

/// <summary>What <see cref="ResponseCacheStage"/> needs from the forwarder: the request pipeline for a fetch, and the access log for an answer the cache gave alone.</summary>
internal interface ICacheFetch
{
    /// <summary>Runs the request pipeline (choose, gate, attempt, retries, errors, accounting) for this request.</summary>
    ValueTask FetchAsync();

    /// <summary>The access-log line of a request the cache answered without a server.</summary>
    void LogAnswered();
}
